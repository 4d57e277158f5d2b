package dev.tessera.rlhf.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.attention.model.LlamaConfig;
import dev.tessera.attention.model.LlamaModel;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.lora.LoraConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class LoraLmTest {
    static CausalLm gpt(DataType dt) {
        return new GptModel(new GptConfig(18, 16, 32, 2, 2, 0.0, 1e-5), new Rng(3), dt);
    }

    static final INDArray IDS = Nd4j.createFromArray(new int[][] {{1, 4, 5, 2, 9, 7, 3}, {1, 6, 4, 2, 8, 8, 3}});

    /** Gives every adapter a non-zero B, as after some training. */
    static void train(LoraLm lm, long seed) {
        Rng rng = new Rng(seed);
        lm.trainableParameters().forEach((name, p) -> {
            if (name.endsWith("lora_B")) {
                p.data().assign(rng.normal(p.dtype(), 0, 0.2, p.shape()));
            }
        });
    }

    static INDArray logits(CausalLm lm) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return lm.forward(IDS).data().dup();
        }
    }

    @Test
    void mergedAndUnmergedLogitsAgreeAndTheBaseViewIsTheModelWithoutAdapters() {
        CausalLm model = gpt(DataType.DOUBLE);
        INDArray before = logits(model);
        LoraLm lm = LoraLm.attach(model, new LoraConfig(4, 8, 0, List.of("c_attn", "c_proj", "c_fc")), new Rng(5));
        assertEquals(8, lm.lora().paths().size(), "2 layers × (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj)");
        assertArrayEquals(before.data().asDouble(), logits(lm).data().asDouble(), 0.0, "fresh adapters change nothing");
        train(lm, 6);
        INDArray adapted = logits(lm);
        assertTrue(adapted.sub(before).amaxNumber().doubleValue() > 1e-3);
        assertArrayEquals(before.data().asDouble(), logits(lm.base()).data().asDouble(), 0.0, "base() = no adapters");
        lm.lora().merge();
        assertTrue(logits(lm).sub(adapted).amaxNumber().doubleValue() < 1e-6, "merged = unmerged to 1e-6");
        assertThrows(IllegalStateException.class, () -> logits(lm.base()));
        assertThrows(IllegalStateException.class, lm::copy);
        lm.lora().unmerge();
        assertTrue(logits(lm.base()).sub(before).amaxNumber().doubleValue() < 1e-12);
    }

    @Test
    void everyLinearKindIsAdaptedInALlamaModelToo() {
        LlamaConfig cfg = LlamaConfig.tiny();
        CausalLm model = new LlamaModel(cfg, new Rng(1), DataType.DOUBLE);
        LoraLm lm = LoraLm.attach(model, new LoraConfig(2, 4, 0, List.of("q_proj", "v_proj", "up_proj")), new Rng(2));
        assertEquals(3 * cfg.nLayer(), lm.lora().paths().size());
        train(lm, 3);
        INDArray ids = Nd4j.createFromArray(new int[][] {{1, 2, 3, 4}});
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            INDArray adapted = lm.forward(ids).data().dup();
            lm.lora().merge();
            assertTrue(lm.forward(ids).data().sub(adapted).amaxNumber().doubleValue() < 1e-6);
        }
    }

    @Test
    void aTargetTheModelLacksNamesTheLayersItHas() {
        CausalLm model = gpt(DataType.FLOAT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoraLm.attach(model, new LoraConfig(2, 2, 0, List.of("q_proj")), new Rng(1)));
        assertTrue(e.getMessage().contains("'q_proj'") && e.getMessage().contains("[c_attn, c_fc, c_proj]")
                && e.getMessage().contains("h.0.attn.c_attn"), e.getMessage());
    }

    @Test
    void theKvCacheDecoderSeesTheAdapters() {
        LoraLm lm = LoraLm.attach(gpt(DataType.FLOAT), new LoraConfig(4, 8, 0, List.of("c_attn", "c_fc")), new Rng(5));
        train(lm, 7);
        INDArray full = logits(lm); // (2, 7, V)
        for (CausalLm m : List.of(lm, lm.base())) {
            INDArray expected = logits(m);
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                CausalLm.Decoder d = m.newDecoder(2, 8);
                d.step(IDS.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 5)).dup(), null);
                INDArray step = d.step(IDS.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 6)).dup(), null).data(); // (2, 1, V)
                INDArray want = expected.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 6), NDArrayIndex.all());
                assertTrue(step.sub(want).amaxNumber().doubleValue() < 1e-4, "decode step = full forward");
            }
        }
        assertTrue(full.sub(logits(lm.base())).amaxNumber().doubleValue() > 1e-3, "and the two models differ");
    }

    @Test
    void trainableParametersAreTheAdaptersAndCopiesAreIndependent() {
        LoraLm lm = LoraLm.attach(gpt(DataType.FLOAT), new LoraConfig(2, 2, 0, List.of("c_attn")), new Rng(5));
        Map<String, Parameter> trainable = lm.trainableParameters();
        assertEquals(List.of("h.0.attn.c_attn.lora_A", "h.0.attn.c_attn.lora_B", "h.1.attn.c_attn.lora_A",
                "h.1.attn.c_attn.lora_B"), List.copyOf(trainable.keySet()));
        assertEquals(Map.of(), lm.base().trainableParameters());
        train(lm, 8);
        LoraLm c = lm.copy();
        assertArrayEquals(logits(lm).data().asFloat(), logits(c).data().asFloat(), 0f);
        assertTrue(SharedParameters.between(lm.module(), c.module()).isEmpty());
        assertTrue(SharedParameters.between(lm.trainableParameters(), c.trainableParameters()).isEmpty());
        // the base view shares the frozen weights, none of the adapters
        assertTrue(SharedParameters.between(lm.base().module().namedParameters(), lm.trainableParameters()).isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SharedParameters.requireNone("T",
                "reference", lm.module(), "policy", lm.module()));
        assertTrue(e.getMessage().contains("wte"), e.getMessage());
    }

    @Test
    void aLeftPaddedRowGetsItsUnpaddedLogitsThroughTheAdaptersAndTheBaseView() {
        LoraLm lm = LoraLm.attach(gpt(DataType.DOUBLE), new LoraConfig(4, 8, 0, List.of("c_attn", "c_proj", "c_fc")),
                new Rng(5));
        train(lm, 9);
        INDArray row = Nd4j.createFromArray(new int[][] {{1, 4, 5, 2}});
        INDArray padded = Nd4j.createFromArray(new int[][] {{0, 0, 1, 4, 5, 2}, {1, 6, 4, 2, 8, 8}});
        INDArray mask = Nd4j.createFromArray(new int[][] {{0, 0, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1}});
        for (CausalLm m : List.of(lm, lm.base())) {
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                INDArray alone = m.forward(row).data(); // (1, 4, V)
                INDArray inBatch = m.forward(padded, mask).data().get(NDArrayIndex.interval(0, 1),
                        NDArrayIndex.interval(2, 6), NDArrayIndex.all()); // (1, 4, V)
                assertTrue(inBatch.sub(alone).amaxNumber().doubleValue() < 1e-9, "left padding changes nothing");
                INDArray last = m.lastLogits(padded, mask).data().get(NDArrayIndex.interval(0, 1), NDArrayIndex.all(),
                        NDArrayIndex.all()); // (1, 1, V)
                assertTrue(last.sub(alone.get(NDArrayIndex.all(), NDArrayIndex.interval(3, 4), NDArrayIndex.all()))
                        .amaxNumber().doubleValue() < 1e-9, "lastLogits = the last position of forward");
            }
        }
        assertTrue(logits(lm).sub(logits(lm.base())).amaxNumber().doubleValue() > 1e-3, "the adapters act");
    }
}
