package dev.tessera.rlhf.dpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.core.Rng;
import dev.tessera.nn.lora.LoraConfig;
import dev.tessera.rlhf.Fit;
import dev.tessera.rlhf.model.LoraLm;
import dev.tessera.training.loop.OnNonFinite;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class LoraDpoTest {
    @Test
    void adapterOnlyDpoLearnsAndKeepsEveryBaseWeightBitIdentical() {
        CausalLm sft = new GptModel(new GptConfig(12, 16, 16, 2, 2, 0.0, 1e-5), new Rng(1), DataType.FLOAT);
        Map<String, INDArray> base = new LinkedHashMap<>();
        sft.module().stateDict().forEach((k, v) -> base.put(k, v.dup()));
        LoraLm policy = LoraLm.attach(sft, new LoraConfig(4, 8, 0, List.of("c_attn", "c_fc")), new Rng(2));
        // the reference is the same weights with the adapters off: no second copy of the model
        DpoObjective objective = new DpoObjective(policy, policy.base(), DpoObjectiveTest.pairs(16, 4), 0.5, 0, 0, 8);
        int[] all = new int[16];
        for (int i = 0; i < 16; i++) {
            all[i] = i;
        }
        // the training loop over the adapters alone: the optimizer never sees a base weight
        Fit.Run run = Fit.run(Fit.trainer(policy.module(), policy.trainableParameters(), 0.03, objective,
                Fit.fixed(List.of(all)), 26, OnNonFinite.STOP, null));
        assertEquals(Math.log(2), run.firstLoss(), 1e-6, "fresh adapters: policy = reference");
        assertTrue(run.lastLoss() < run.firstLoss() - 0.2, run.firstLoss() + " -> " + run.lastLoss());
        sft.module().stateDict().forEach((k, v) -> assertArrayEquals(base.get(k).data().asFloat(), v.dup().data().asFloat(),
                0f, k + " must not move"));
        assertTrue(policy.lora().namedParameters().get("h.0.attn.c_attn.lora_B").data().amaxNumber().doubleValue() > 0);
    }
}
