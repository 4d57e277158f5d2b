package dev.tessera.training.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.training.ListSource;
import dev.tessera.training.data.Batch;
import dev.tessera.training.loop.EvalMetrics;
import dev.tessera.training.loop.Trainer;
import dev.tessera.training.loop.TrainerConfig;
import dev.tessera.training.loss.MaskedLm;
import dev.tessera.training.loss.MaskingConfig;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.LrSchedule;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The CLI's encoder learns masked tokens that only the other side of the sequence can tell (bidirectional attention). */
class MlmEncoderTest {
    private static final int V = 24;
    private static final int MASK = 0;

    /** Every token appears twice in a row: [a a b b c c ...]; a masked token is its pair partner, left or right. */
    private static List<Batch> pairs(int batches, long seed) {
        Rng rng = new Rng(seed);
        MaskingConfig cfg = new MaskingConfig(V, MASK, new int[] {MASK}, 0.15, 1.0, 0.0);
        List<Batch> out = new ArrayList<>();
        for (int k = 0; k < batches; k++) {
            int[] ids = new int[8 * 16];
            for (int i = 0; i < ids.length; i += 2) {
                ids[i] = 1 + rng.nextInt(V - 1);
                ids[i + 1] = ids[i];
            }
            MaskedLm.Masked m = MaskedLm.mask(Nd4j.createFromArray(ids).reshape(8, 16), cfg, -100, rng);
            out.add(new Batch(m.inputs(), m.labels(), null));
        }
        return out;
    }

    @Test
    void learnsFromBothSides() throws IOException {
        MlmEncoder enc = new MlmEncoder(V, 16, 32, 1, 2, 0.0, new Rng(1), DataType.FLOAT);
        List<Batch> val = pairs(4, 99);
        Trainer t = new Trainer(TrainerConfig.simple(150), enc, new AdamW(enc.namedParameters(), AdamWConfig.lm(1e-2)),
                LrSchedule.cosine(1e-2, 1e-3, 10, 150), b -> enc.forward(b.inputs(), null), new ListSource(pairs(40, 1)), val,
                Map.of(), null);
        t.run();
        EvalMetrics e = t.evaluate();
        // chance is 1/23; both-pairs masked (≈2% of targets) are unpredictable
        assertTrue(e.accuracy() > 0.8, "masked-token accuracy " + e.accuracy() + ", loss " + e.loss());
    }
}
