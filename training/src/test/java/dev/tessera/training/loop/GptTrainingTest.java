package dev.tessera.training.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.core.Rng;
import dev.tessera.nn.Parameter;
import dev.tessera.training.ListSource;
import dev.tessera.training.data.Batch;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.LrSchedule;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** End-to-end: the attention module's GPT trains with the loop: finite, decreasing loss, every parameter moves. */
class GptTrainingTest {
    @Test
    void tinyGptLearnsARepeatingSequence() throws IOException {
        GptModel gpt = new GptModel(GptConfig.tiny(), new Rng(1), DataType.FLOAT);
        Map<String, INDArray> before = new java.util.LinkedHashMap<>();
        gpt.namedParameters().forEach((n, p) -> before.put(n, p.data().dup()));
        // period-5 sequences: fully predictable after the first token
        List<Batch> batches = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            int[] in = new int[2 * 16];
            int[] tg = new int[2 * 16];
            for (int i = 0; i < in.length; i++) {
                in[i] = 10 + (i + s) % 5;
                tg[i] = 10 + (i + s + 1) % 5;
            }
            batches.add(new Batch(Nd4j.createFromArray(in).reshape(2, 16), Nd4j.createFromArray(tg).reshape(2, 16), null));
        }
        List<Double> losses = new ArrayList<>();
        Trainer t = new Trainer(TrainerConfig.simple(30), gpt, new AdamW(gpt.namedParameters(), AdamWConfig.lm(1e-2)),
                LrSchedule.cosine(1e-2, 1e-3, 3, 30), b -> gpt.forward(b.inputs()), new ListSource(batches), List.of(),
                Map.of(), null);
        t.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                losses.add(m.loss());
            }
        });
        assertEquals(StopReason.COMPLETED, t.run().reason());
        assertTrue(losses.stream().allMatch(Double::isFinite));
        assertTrue(losses.get(29) < 0.5 * losses.get(0), "loss " + losses.get(0) + " -> " + losses.get(29));
        for (Map.Entry<String, Parameter> e : gpt.namedParameters().entrySet()) {
            assertFalse(before.get(e.getKey()).equals(e.getValue().data()), e.getKey() + " did not change");
        }
    }
}
