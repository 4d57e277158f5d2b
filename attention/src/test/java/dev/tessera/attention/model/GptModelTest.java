package dev.tessera.attention.model;

import static dev.tessera.attention.model.ModelTesting.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.KvCache;
import dev.tessera.core.GradMode;
import dev.tessera.host.HostMemory;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.io.SafeTensors;
import dev.tessera.nn.Parameter;
import dev.tessera.testing.GoldenFile;
import dev.tessera.testing.GradCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class GptModelTest {
    private static final GptConfig GOLDEN_CONFIG = new GptConfig(37, 16, 12, 2, 3, 0.0, 1e-5);

    static Path fixture() throws Exception {
        return Path.of(GptModelTest.class.getResource("/gpt2_tiny.safetensors").toURI());
    }

    @Test
    void pytorchGoldenLogitsLossAndEveryGradientInFloat64() throws Exception {
        GoldenFile golden = GoldenFile.load("/golden/gpt2_tiny.json");
        GptModel model = Gpt2Weights.load(fixture(), GOLDEN_CONFIG, DataType.DOUBLE);
        INDArray ids = golden.get("ids").castTo(DataType.INT);
        Tensor logits = model.forward(ids);
        assertClose("logits", golden.get("logits"), logits.data(), 1e-4);
        Tensor loss = ModelTesting.nextTokenLoss(logits, ids);
        assertEquals(golden.get("loss").getDouble(0), loss.item(), 1e-5, "loss");
        loss.backward();
        Map<String, Parameter> named = model.namedParameters();
        assertEquals(4 + 12 * 2, named.size(), "parameter count");
        for (Map.Entry<String, Parameter> e : named.entrySet()) {
            INDArray want = golden.get("grad." + e.getKey());
            INDArray got = e.getValue().grad();
            double scale = want.amaxNumber().doubleValue();
            double diff = want.sub(got).amaxNumber().doubleValue();
            assertTrue(diff <= 1e-4 * scale, e.getKey() + ": gradient differs by " + diff + " (max |grad| " + scale + ")");
        }
    }

    @Test
    void pytorchGoldenLogitsInFloat32() throws Exception {
        GoldenFile golden = GoldenFile.load("/golden/gpt2_tiny.json");
        GptModel model = Gpt2Weights.load(fixture(), GOLDEN_CONFIG, DataType.FLOAT);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor logits = model.forward(golden.get("ids").castTo(DataType.INT));
            assertEquals(DataType.FLOAT, logits.dtype());
            assertClose("float32 logits", golden.get("logits"), logits.data(), 1e-3);
        }
    }

    @Test
    void saveThenLoadRoundTripsInTheHuggingFaceLayout(@TempDir Path dir) throws Exception {
        GptModel model = new GptModel(GptConfig.tiny(), new Rng(3), DataType.FLOAT);
        Path file = dir.resolve("model.safetensors");
        Gpt2Weights.save(model, file);
        Map<String, INDArray> stored = SafeTensors.read(file).tensors();
        assertTrue(stored.containsKey("h.1.attn.c_attn.weight"), stored.keySet().toString());
        assertEquals(16, stored.get("h.0.attn.c_attn.weight").size(0)); // (C, 3C): input-major
        assertEquals(48, stored.get("h.0.attn.c_attn.weight").size(1));
        assertTrue(!stored.containsKey("lm_head.weight"));
        GptModel back = Gpt2Weights.load(file, GptConfig.tiny(), DataType.FLOAT);
        INDArray ids = ModelTesting.ids(new int[][] {{1, 2, 3, 4}, {5, 6, 7, 8}});
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertClose("reloaded logits", model.forward(ids).data(), back.forward(ids).data(), 0.0);
        }
    }

    @Test
    void loadingRejectsMismatchesAndAcceptsTiedHead(@TempDir Path dir) throws Exception {
        GptModel model = new GptModel(GptConfig.tiny(), new Rng(3), DataType.FLOAT);
        Map<String, INDArray> state = new LinkedHashMap<>(model.stateDict());
        state.put("lm_head.weight", state.get("wte.weight"));
        state.put("h.0.attn.bias", Nd4j.ones(DataType.FLOAT, 1, 1, 32, 32));
        Gpt2Weights.loadInto(new GptModel(GptConfig.tiny(), new Rng(4), DataType.FLOAT), state);
        Map<String, INDArray> untied = new LinkedHashMap<>(state);
        untied.put("lm_head.weight", state.get("wte.weight").add(1));
        assertThrows(IllegalArgumentException.class,
                () -> Gpt2Weights.loadInto(new GptModel(GptConfig.tiny(), new Rng(4), DataType.FLOAT), untied));
        Map<String, INDArray> missing = new LinkedHashMap<>(model.stateDict());
        missing.remove("ln_f.bias");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gpt2Weights.loadInto(new GptModel(GptConfig.tiny(), new Rng(4), DataType.FLOAT), missing));
        assertTrue(e.getMessage().contains("ln_f.bias"), e.getMessage());
        Map<String, INDArray> wrongShape = new LinkedHashMap<>(model.stateDict());
        wrongShape.put("wpe.weight", Nd4j.zeros(DataType.FLOAT, 31, 16));
        assertThrows(IllegalArgumentException.class,
                () -> Gpt2Weights.loadInto(new GptModel(GptConfig.tiny(), new Rng(4), DataType.FLOAT), wrongShape));
    }

    @Test
    void gradientCheckOfATinyModel() {
        GptModel model = new GptModel(new GptConfig(11, 8, 4, 2, 2, 0.0, 1e-5), new Rng(5), DataType.DOUBLE);
        for (Parameter p : model.parameters()) { // make LayerNorm and biases non-trivial
            p.data().addi(new Rng(p.data().length()).normal(DataType.DOUBLE, 0, 0.3, p.shape()));
        }
        INDArray ids = ModelTesting.ids(new int[][] {{1, 4, 9}, {3, 3, 10}});
        INDArray mask = Nd4j.createFromArray(new float[][] {{1, 1, 1}, {0, 1, 1}});
        // one parameter of every kind (the golden test compares every gradient with PyTorch)
        Map<String, Parameter> p = model.namedParameters();
        GradCheck.check("gpt", in -> model.forward(ids, mask), p.get("wte.weight"), p.get("wpe.weight"),
                p.get("h.0.attn.c_attn.weight"), p.get("h.0.ln_1.bias"), p.get("h.1.attn.c_proj.bias"),
                p.get("h.1.mlp.c_fc.bias"), p.get("h.1.ln_2.weight"), p.get("ln_f.bias"));
    }

    @Test
    void paddedBatchesMatchSequencesAlone() {
        GptModel model = new GptModel(GptConfig.tiny(), new Rng(6), DataType.DOUBLE);
        int[][] seqs = {{5, 9, 2, 7, 1}, {3, 4}, {8, 8, 8, 1}};
        ModelTesting.checkPaddingInvariance(model, seqs, true, 1e-10);
        ModelTesting.checkPaddingInvariance(model, seqs, false, 1e-10);
    }

    @Test
    void kvCacheDecodingMatchesFullRecomputationAtEveryStep() {
        GptModel model = new GptModel(GptConfig.tiny(), new Rng(7), DataType.FLOAT);
        int[][] prompts = {{5, 9, 2, 7, 1}, {3, 4}, {8, 8, 8, 1}};
        ModelTesting.checkCacheMatchesRecomputation(model, prompts, 6, true, 64, 1e-5);
        ModelTesting.checkCacheMatchesRecomputation(model, prompts, 6, false, 64, 1e-5);
    }

    /**
     * The in-place decode path (host-memory cache, Java attention loop) and the general cache path
     * (ND4J update + fused attention, what the portable backends run) give the same logits for a
     * left-padded prefill of three prompts of different lengths and eight single-token steps.
     */
    @Test
    void inPlaceDecodePathMatchesTheGeneralCachePath() {
        GptModel model = new GptModel(GptConfig.tiny(), new Rng(9), DataType.DOUBLE);
        model.eval();
        INDArray prompt = ModelTesting.ids(new int[][] {{0, 0, 5, 9, 2}, {3, 4, 1, 1, 7}, {0, 8, 8, 1, 2}});
        INDArray mask = Nd4j.createFromArray(new float[][] {{0, 0, 1, 1, 1}, {1, 1, 1, 1, 1}, {0, 1, 1, 1, 1}});
        INDArray[] fast = decode(model, prompt, mask);
        HostMemory.setForcePortable(true);
        INDArray[] general;
        try {
            general = decode(model, prompt, mask);
        } finally {
            HostMemory.setForcePortable(false);
        }
        for (int s = 0; s < fast.length; s++) {
            assertClose("call " + s, general[s], fast[s], 1e-10);
        }
    }

    /** The prefill's logits, then those of 8 single-token steps feeding back each row's arg-max. */
    private static INDArray[] decode(GptModel model, INDArray prompt, INDArray mask) {
        INDArray[] out = new INDArray[9];
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            KvCache cache = model.newCache(3, 13);
            out[0] = model.forward(prompt, mask, cache).data(); // (3, 5, V)
            INDArray last = out[0].get(NDArrayIndex.all(), NDArrayIndex.point(4), NDArrayIndex.all()); // (3, V)
            for (int s = 1; s < out.length; s++) {
                INDArray next = last.argMax(1).castTo(DataType.INT).reshape(3, 1); // (3, 1)
                out[s] = model.forward(next, null, cache).data(); // (3, 1, V)
                last = out[s].get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all());
            }
        }
        return out;
    }

    @Test
    void cacheIsReusableAndBoundsAreChecked() {
        GptModel model = new GptModel(GptConfig.tiny(), new Rng(8), DataType.FLOAT);
        KvCache cache = model.newCache(1, 4);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor a = model.forward(ModelTesting.ids(new int[][] {{1, 2, 3}}), null, cache);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ModelTesting.ids(new int[][] {{1, 2}}), null, cache));
            assertTrue(e.getMessage().contains("capacity"), e.getMessage());
            assertEquals(3, cache.used());
            cache.reset();
            Tensor b = model.forward(ModelTesting.ids(new int[][] {{1, 2, 3}}), null, cache);
            assertClose("after reset", a.data(), b.data(), 0.0);
        }
        assertThrows(IllegalArgumentException.class, () -> model.forward(ModelTesting.ids(new int[][] {{1, 64}})));
        assertThrows(IllegalArgumentException.class, () -> model.forward(Nd4j.zeros(DataType.FLOAT, 1, 2)));
        assertThrows(IllegalArgumentException.class, () -> new GptConfig(64, 32, 15, 2, 2, 0.0, 1e-5));
        assertThrows(IllegalArgumentException.class,
                () -> model.forward(ModelTesting.ids(new int[][] {{1, 2}}), Nd4j.ones(DataType.FLOAT, 1, 3)));
    }

    @Test
    void presetsHaveTheKnownParameterCounts() {
        GptConfig s = GptConfig.gpt2Small();
        long c = s.nEmbd();
        long perLayer = 2 * 2 * c + (c * 3 * c + 3 * c) + (c * c + c) + (c * 4 * c + 4 * c) + (4 * c * c + c);
        long total = s.vocabSize() * c + s.contextLength() * c + s.nLayer() * perLayer + 2 * c;
        assertEquals(124_439_808L, total); // GPT-2 small, tied head
        GptModel tiny = new GptModel(GptConfig.tiny(), new Rng(1), DataType.FLOAT);
        assertTrue(tiny.parameterCount() > 0);
    }

    @Test
    void dropoutIsActiveOnlyInTraining() {
        GptModel model = new GptModel(GptConfig.tiny().withDropout(0.5), new Rng(9), DataType.FLOAT);
        INDArray ids = ModelTesting.ids(new int[][] {{1, 2, 3, 4}});
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            INDArray a = model.forward(ids).data();
            INDArray b = model.forward(ids).data();
            assertTrue(a.sub(b).amaxNumber().doubleValue() > 1e-3, "training mode must drop");
            model.eval();
            assertClose("eval is deterministic", model.forward(ids).data(), model.forward(ids).data(), 0.0);
        }
    }
}
