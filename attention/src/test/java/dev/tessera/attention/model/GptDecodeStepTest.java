package dev.tessera.attention.model;

import static dev.tessera.attention.model.ModelTesting.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.GptDecodeStep;
import dev.tessera.attention.KvCache;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.nn.Parameter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link GptDecodeStep} (GPT-2's allocation-free decode step) against the general cache path it
 * replaces: the same logits over a masked prefill of three prompts of different lengths and ten
 * single-token steps, in float32 and float64, with every parameter random (GPT-2's init leaves
 * biases at 0 and norm weights at 1, which would hide a missing bias or scale).
 */
class GptDecodeStepTest {
    private static final GptConfig CONFIG = new GptConfig(53, 24, 32, 2, 4, 0.0, 1e-5);
    private static final int STEPS = 10;

    @AfterEach
    void enableAgain() {
        GptDecodeStep.setEnabled(true);
    }

    @Test
    void matchesTheGeneralPathInFloat32() {
        // The two paths multiply matrices of different shapes (one row per step against the whole
        // prompt), which a GEMM library may sum in different orders: with oneDNN's sgemm (chosen on
        // AMD CPUs with AVX-512) the logits differed by up to 1.05e-5, with MKL's by less than 1e-5.
        checkAgainstGeneral(DataType.FLOAT, 3e-5);
    }

    @Test
    void matchesTheGeneralPathInFloat64() {
        checkAgainstGeneral(DataType.DOUBLE, 1e-10);
    }

    private static void checkAgainstGeneral(DataType dtype, double tol) {
        GptModel model = randomModel(dtype, 11);
        INDArray[] fast = decode(model, true);
        INDArray[] general = decode(model, false);
        double maxLogit = 0;
        for (int s = 0; s < fast.length; s++) {
            assertClose("call " + s, general[s], fast[s], tol);
            maxLogit = Math.max(maxLogit, general[s].amaxNumber().doubleValue());
        }
        // logits of order 1, so the absolute tolerance is a relative one too, and the steps differ
        assertTrue(maxLogit > 0.5, "logits too small to test anything: " + maxLogit);
    }

    /**
     * Masked prefill (B = 3; prompts of 5, 3 and 4 tokens, left-padded), then STEPS single-token
     * calls feeding back each row's arg-max; asserts that every single-token call took the path asked for.
     */
    private static INDArray[] decode(GptModel model, boolean fastPath) {
        GptDecodeStep.setEnabled(fastPath);
        GptDecodeStep probe = probe(model);
        INDArray prompt = ModelTesting.ids(new int[][] {{4, 9, 2, 7, 1}, {0, 0, 3, 50, 1}, {0, 8, 8, 1, 2}});
        INDArray mask = Nd4j.createFromArray(new float[][] {{1, 1, 1, 1, 1}, {0, 0, 1, 1, 1}, {0, 1, 1, 1, 1}});
        INDArray[] out = new INDArray[STEPS + 1];
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            KvCache cache = model.newCache(3, 5 + STEPS);
            out[0] = model.forward(prompt, mask, cache).data(); // (3, 5, V)
            INDArray last = out[0].get(NDArrayIndex.all(), NDArrayIndex.point(4), NDArrayIndex.all()); // (3, V)
            for (int s = 1; s <= STEPS; s++) {
                INDArray next = last.argMax(1).castTo(DataType.INT).reshape(3, 1); // (3, 1)
                assertEquals(fastPath, probe.applies(next, null, cache, false), "fast path taken at step " + s);
                out[s] = model.forward(next, null, cache).data(); // (3, 1, V)
                last = out[s].get(NDArrayIndex.all(), NDArrayIndex.point(0), NDArrayIndex.all());
            }
            assertEquals(5 + STEPS, cache.used());
        }
        return out;
    }

    @Test
    void generalPathTakesOverWhereTheFastPathWouldDiffer() {
        GptModel model = randomModel(DataType.FLOAT, 12);
        GptDecodeStep probe = probe(model);
        KvCache cache = model.newCache(2, 8);
        INDArray one = ModelTesting.ids(new int[][] {{3}, {5}});
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertTrue(probe.applies(one, null, cache, false));
            assertFalse(probe.applies(ModelTesting.ids(new int[][] {{3, 4}, {5, 6}}), null, cache, false), "prompt");
            assertFalse(probe.applies(one, Nd4j.ones(DataType.FLOAT, 2, 1), cache, false), "mask");
            assertFalse(probe.applies(one, null, cache, true), "dropout");
            assertFalse(probe.applies(one, null, model.newCache(1, 8), false), "batch");
            assertFalse(probe.applies(ModelTesting.ids(new int[][] {{3}}), null, cache, false), "ids batch");
        }
        assertFalse(probe.applies(one, null, cache, false), "gradients recorded");
        // with gradients on, the general path runs and records a graph
        assertTrue(model.forward(one, null, cache).requiresGrad());
    }

    @Test
    void badIdsAndPositionsAreRejectedAndLeaveTheCacheAsItWas() {
        GptModel model = randomModel(DataType.FLOAT, 13);
        GptDecodeStep probe = probe(model);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            KvCache cache = model.newCache(2, 30);
            model.forward(ModelTesting.ids(new int[][] {{3, 4}, {5, 6}}), null, cache);
            INDArray bad = ModelTesting.ids(new int[][] {{3}, {CONFIG.vocabSize()}});
            assertTrue(probe.applies(bad, null, cache, false));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(bad, null, cache));
            assertTrue(e.getMessage().contains("ids[1, 0] = 53"), e.getMessage());
            assertEquals(2, cache.used());
            // the cache is still usable: a valid step after the failed one matches a fresh run
            INDArray good = ModelTesting.ids(new int[][] {{3}, {7}});
            INDArray after = model.forward(good, null, cache).data();
            KvCache fresh = model.newCache(2, 30);
            model.forward(ModelTesting.ids(new int[][] {{3, 4}, {5, 6}}), null, fresh);
            assertClose("after a rejected step", model.forward(good, null, fresh).data(), after, 0.0);
            // positions run out at contextLength (24) even though the cache has room
            for (int i = cache.used(); i < CONFIG.contextLength(); i++) {
                model.forward(good, null, cache);
            }
            IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(good, null, cache));
            assertTrue(p.getMessage().contains("contextLength"), p.getMessage());
            assertEquals(CONFIG.contextLength(), cache.used());
        }
    }

    @Test
    void parametersChangedBetweenStepsAreSeen() {
        GptModel model = randomModel(DataType.DOUBLE, 14);
        INDArray[] before = decode(model, true);
        Parameter bias = model.namedParameters().get("h.1.mlp.c_fc.bias");
        bias.data().addi(0.5);
        INDArray[] fast = decode(model, true);
        INDArray[] general = decode(model, false);
        assertClose("changed bias", general[STEPS], fast[STEPS], 1e-10);
        assertTrue(before[STEPS].sub(fast[STEPS]).amaxNumber().doubleValue() > 1e-3, "the change had no effect");
    }

    /** A model whose every parameter is random N(0, 0.3²) around its init, norm weights around 1. */
    private static GptModel randomModel(DataType dtype, long seed) {
        GptModel model = new GptModel(CONFIG, new Rng(seed), dtype);
        model.eval();
        Nd4j.getRandom().setSeed(seed);
        for (var e : model.namedParameters().entrySet()) {
            INDArray d = e.getValue().data();
            double scale = e.getKey().startsWith("wte") || e.getKey().startsWith("wpe") ? 1.0 : 0.3;
            d.addi(Nd4j.randn(dtype, d.shape()).muli(scale));
        }
        return model;
    }

    /** A second binding of the model's parameters, to ask whether a call takes the fast path. */
    private static GptDecodeStep probe(GptModel model) {
        return new GptDecodeStep(model.namedParameters(), GptModel.blockConfig(CONFIG), CONFIG.nLayer(),
                CONFIG.vocabSize(), CONFIG.contextLength(), model.dtype());
    }
}
