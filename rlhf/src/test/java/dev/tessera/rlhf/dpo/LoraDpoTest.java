package dev.tessera.rlhf.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.model.GptConfig;
import dev.tessera.core.Rng;
import dev.tessera.nn.lora.LoraConfig;
import dev.tessera.rlhf.model.DecoderLm;
import dev.tessera.rlhf.model.LoraLm;
import dev.tessera.rlhf.model.TrainSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class LoraDpoTest {
    @Test
    void adapterOnlyDpoLearnsAndKeepsEveryBaseWeightBitIdentical() {
        DecoderLm sft = DecoderLm.gpt(new GptConfig(12, 16, 16, 2, 2, 0.0, 1e-5), new Rng(1), DataType.FLOAT);
        Map<String, INDArray> base = new LinkedHashMap<>();
        sft.module().stateDict().forEach((k, v) -> base.put(k, v.dup()));
        LoraLm policy = LoraLm.attach(sft, new LoraConfig(4, 8, 0, List.of("c_attn", "c_fc")), new Rng(2));
        // the reference is the same weights with the adapters off: no second copy of the model
        DpoTrainer t = new DpoTrainer(policy, policy.base(), DpoTrainerTest.pairs(16, 4), 0.5, 0, TrainSettings.of(0.03), 0, 8);
        int[] all = new int[16];
        for (int i = 0; i < 16; i++) {
            all[i] = i;
        }
        double first = t.step(all).loss().item();
        assertEquals(Math.log(2), first, 1e-6, "fresh adapters: policy = reference");
        DpoLoss.Result last = null;
        for (int i = 0; i < 25; i++) {
            last = t.step(all);
        }
        assertTrue(last.loss().item() < first - 0.2, first + " -> " + last.loss().item());
        sft.module().stateDict().forEach((k, v) -> assertArrayEquals(base.get(k).data().asFloat(), v.dup().data().asFloat(),
                0f, k + " must not move"));
        assertTrue(policy.lora().namedParameters().get("h.0.attn.c_attn.lora_B").data().amaxNumber().doubleValue() > 0);
    }
}
