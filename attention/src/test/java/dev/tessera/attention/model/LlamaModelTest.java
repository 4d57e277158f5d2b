package dev.tessera.attention.model;

import static dev.tessera.attention.model.ModelTesting.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.RopeConfig;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Parameter;
import dev.tessera.testing.GradCheck;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LlamaModelTest {

    @Test
    void namesAndShapesFollowTheLlamaLayout() {
        LlamaModel m = new LlamaModel(LlamaConfig.tiny(), new Rng(1), DataType.FLOAT);
        Map<String, Parameter> p = m.namedParameters();
        assertEquals(16, p.get("layers.0.attn.q_proj.weight").size(1));
        assertEquals(8, p.get("layers.0.attn.k_proj.weight").size(1)); // 2 kv heads of size 4
        assertEquals(32, p.get("layers.1.mlp.gate_proj.weight").size(1));
        assertTrue(p.containsKey("lm_head.weight"));
        assertFalse(p.containsKey("layers.0.attn.q_proj.bias"));
        assertFalse(p.containsKey("layers.0.ln_1.bias")); // RmsNorm
        INDArray ids = ModelTesting.ids(new int[][] {{1, 2, 3}});
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertEquals(3, m.forward(ids).rank());
            assertEquals(64, m.forward(ids).size(2));
        }
    }

    @Test
    void gradientCheckOfATinyModel() {
        LlamaConfig c = new LlamaConfig(11, 16, 8, 2, 4, 2, 4, 1e-5, RopeConfig.standard(), 0, false);
        LlamaModel model = new LlamaModel(c, new Rng(2), DataType.DOUBLE);
        Map<String, Parameter> p = model.namedParameters();
        p.get("norm.weight").data().addi(new Rng(9).normal(DataType.DOUBLE, 0, 0.3, 8));
        INDArray ids = ModelTesting.ids(new int[][] {{1, 4, 9}, {3, 3, 10}});
        INDArray mask = Nd4j.createFromArray(new float[][] {{1, 1, 1}, {0, 1, 1}});
        // one parameter of most kinds, kept small: every forward here costs dozens of ND4J ops
        GradCheck.check("llama", in -> model.forward(ids, mask), p.get("layers.0.attn.k_proj.weight"),
                p.get("layers.0.mlp.gate_proj.weight"),
                p.get("layers.1.mlp.up_proj.weight"), p.get("layers.1.ln_2.weight"), p.get("norm.weight"));
    }

    @Test
    void kvCacheWithGqaAndRopeMatchesRecomputation() {
        LlamaModel model = new LlamaModel(LlamaConfig.tiny(), new Rng(3), DataType.FLOAT);
        int[][] prompts = {{5, 9, 2, 7, 1}, {3, 4}, {8, 8, 8, 1}};
        ModelTesting.checkCacheMatchesRecomputation(model, prompts, 5, true, 64, 1e-5);
        ModelTesting.checkCacheMatchesRecomputation(model, prompts, 5, false, 64, 1e-5);
    }

    @Test
    void slidingWindowCacheMatchesRecomputation() {
        LlamaModel model = new LlamaModel(LlamaConfig.tiny().withWindow(3), new Rng(4), DataType.FLOAT);
        // with left padding every sequence's real tokens are contiguous slots, so window distances are exact
        ModelTesting.checkCacheMatchesRecomputation(model, new int[][] {{5, 9, 2, 7, 1}, {3, 4}}, 4, true, 64, 1e-5);
    }

    @Test
    void paddedBatchesMatchSequencesAlone() {
        LlamaModel model = new LlamaModel(LlamaConfig.tiny(), new Rng(5), DataType.DOUBLE);
        int[][] seqs = {{5, 9, 2, 7, 1}, {3, 4}, {8, 8, 8, 1}};
        ModelTesting.checkPaddingInvariance(model, seqs, true, 1e-10);
        ModelTesting.checkPaddingInvariance(model, seqs, false, 1e-10);
    }

    @Test
    void tiedHeadAndConfigValidation() {
        LlamaConfig t = LlamaConfig.tiny();
        LlamaModel tied = new LlamaModel(new LlamaConfig(t.vocabSize(), t.contextLength(), t.nEmbd(), t.nLayer(), t.nHead(),
                t.nKvHead(), t.intermediateSize(), t.rmsNormEps(), t.rope(), 0, true), new Rng(6), DataType.FLOAT);
        assertFalse(tied.namedParameters().containsKey("lm_head.weight"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LlamaConfig(64, 64, 16, 2, 4, 3, 32, 1e-5, RopeConfig.standard(), 0, false));
        assertTrue(e.getMessage().contains("nKvHead"), e.getMessage());
        assertEquals(8, LlamaConfig.llama3_8b().nKvHead());
        LlamaModel m = new LlamaModel(new LlamaConfig(64, 4, 16, 1, 4, 2, 32, 1e-5, RopeConfig.standard(), 0, false),
                new Rng(7), DataType.FLOAT);
        assertThrows(IllegalArgumentException.class, () -> m.forward(ModelTesting.ids(new int[][] {{1, 2, 3, 4, 5}})));
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor a = tied.forward(ModelTesting.ids(new int[][] {{1, 2}}));
            assertClose("deterministic", a.data(), tied.forward(ModelTesting.ids(new int[][] {{1, 2}})).data(), 0.0);
        }
    }
}
