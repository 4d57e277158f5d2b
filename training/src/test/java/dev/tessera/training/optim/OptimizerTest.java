package dev.tessera.training.optim;

import static dev.tessera.training.TestArrays.assertBitEqual;
import static dev.tessera.training.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.nn.Parameter;
import dev.tessera.testing.GoldenFile;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class OptimizerTest {
    private static final GoldenFile GOLDEN = GoldenFile.load("/golden/training.json");

    private static Map<String, Parameter> params(Parameter w, Parameter b) {
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("w", w);
        m.put("b", b);
        return m;
    }

    private static INDArray gradAt(String name, int k) {
        return GOLDEN.get(name).get(NDArrayIndex.point(k)).dup('c');
    }

    @Test
    void adamWTenStepsMatchPyTorch() {
        Parameter w = new Parameter(GOLDEN.get("adamw.w0").dup());
        Parameter b = new Parameter(GOLDEN.get("adamw.b0").dup());
        AdamW opt = new AdamW(params(w, b), new AdamWConfig(1e-2, 0.9, 0.95, 1e-8, 0.1, WeightDecayRule.MATRICES_ONLY));
        assertTrue(opt.decays("w"));
        assertFalse(opt.decays("b"));
        INDArray lrs = GOLDEN.get("adamw.lrs");
        for (int k = 0; k < 10; k++) {
            opt.setLearningRate(lrs.getDouble(k));
            w.accumulateGrad(gradAt("adamw.gw", k));
            b.accumulateGrad(gradAt("adamw.gb", k));
            opt.step();
            opt.zeroGrad();
            if (k == 4) {
                assertClose("w after 5", GOLDEN.get("adamw.w5"), w.data(), 1e-12);
                assertClose("b after 5", GOLDEN.get("adamw.b5"), b.data(), 1e-12);
            }
        }
        assertClose("w after 10", GOLDEN.get("adamw.w10"), w.data(), 1e-12);
        assertClose("b after 10", GOLDEN.get("adamw.b10"), b.data(), 1e-12);
        assertClose("v after 10", GOLDEN.get("adamw.exp_avg_sq_w10"), opt.stateDict().get("exp_avg_sq.w"), 1e-12);
        assertEquals(10, opt.stepCount());
    }

    @Test
    void adamWStateRestoreContinuesBitForBit() {
        Parameter w1 = new Parameter(GOLDEN.get("adamw.w0").dup());
        Parameter b1 = new Parameter(GOLDEN.get("adamw.b0").dup());
        AdamW a = new AdamW(params(w1, b1), AdamWConfig.lm(1e-2));
        Parameter w2 = new Parameter(GOLDEN.get("adamw.w0").dup());
        Parameter b2 = new Parameter(GOLDEN.get("adamw.b0").dup());
        AdamW first = new AdamW(params(w2, b2), AdamWConfig.lm(1e-2));
        for (int k = 0; k < 10; k++) {
            if (k == 5) { // hand over to a fresh optimizer restored from the first one's state
                Map<String, INDArray> state = first.stateDict();
                first = new AdamW(params(w2, b2), AdamWConfig.lm(0.5));
                first.loadStateDict(state);
            }
            for (Optimizer o : List.of(a, first)) {
                Parameter w = o == a ? w1 : w2;
                Parameter b = o == a ? b1 : b2;
                w.accumulateGrad(gradAt("adamw.gw", k));
                b.accumulateGrad(gradAt("adamw.gb", k));
                o.step();
                o.zeroGrad();
            }
        }
        assertBitEqual("w", w1.data(), w2.data());
        assertBitEqual("b", b1.data(), b2.data());
    }

    @Test
    void loadStateRejectsMismatch() {
        Parameter w = new Parameter(Nd4j.zeros(DataType.DOUBLE, 3, 4));
        Parameter b = new Parameter(Nd4j.zeros(DataType.DOUBLE, 4));
        AdamW opt = new AdamW(params(w, b), AdamWConfig.lm(1e-3));
        Map<String, INDArray> state = opt.stateDict();
        state.put("exp_avg.w", Nd4j.zeros(DataType.DOUBLE, 4, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(state));
        assertTrue(e.getMessage().contains("exp_avg.w") && e.getMessage().contains("[3, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AdamWConfig(1e-3, 1.0, 0.9, 1e-8, 0, WeightDecayRule.ALL));
    }

    @Test
    void aRejectedStateChangesNothing() {
        Parameter w = new Parameter(Nd4j.zeros(DataType.DOUBLE, 3, 4));
        Parameter b = new Parameter(Nd4j.zeros(DataType.DOUBLE, 4));
        AdamW opt = new AdamW(params(w, b), AdamWConfig.lm(1e-3));
        w.accumulateGrad(Nd4j.ones(DataType.DOUBLE, 3, 4));
        b.accumulateGrad(Nd4j.ones(DataType.DOUBLE, 4));
        opt.step();
        Map<String, INDArray> before = opt.stateDict();
        // valid moments that differ from the optimizer's, with one bad scalar or element each time
        String[][] cases = {{"lr", "NaN"}, {"step", "-1"}, {"step", "2.5"}, {"exp_avg.b", "Infinity"}, {"exp_avg_sq.b", "-1"}};
        for (String[] c : cases) {
            Map<String, INDArray> state = new LinkedHashMap<>();
            before.forEach((k, v) -> state.put(k, v.dataType().isFPType() ? v.add(1.0) : v.dup()));
            double bad = Double.parseDouble(c[1]);
            if (c[0].equals("lr") || c[0].equals("step")) {
                state.put(c[0], Nd4j.scalar(DataType.DOUBLE, bad));
            } else {
                state.get(c[0]).putScalar(2, bad);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(state));
            assertTrue(e.getMessage().contains(c[0]) && e.getMessage().contains(String.valueOf(bad)), e.getMessage());
            opt.stateDict().forEach((k, v) -> assertEquals(before.get(k), v, k + " changed by a rejected load of " + c[0]));
        }
        Sgd sgd = new Sgd(params(w, b), new SgdConfig(0.1, 0.9, 0, false));
        Map<String, INDArray> state = sgd.stateDict();
        state.put("momentum_buffer.w", Nd4j.valueArrayOf(new long[] {3, 4}, Double.NaN, DataType.DOUBLE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sgd.loadStateDict(state));
        assertTrue(e.getMessage().contains("momentum_buffer.w") && e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void aParameterUnderTwoNamesIsRejected() {
        Parameter w = new Parameter(Nd4j.zeros(DataType.DOUBLE, 3));
        Map<String, Parameter> twice = new LinkedHashMap<>();
        twice.put("a", w);
        twice.put("b", w);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AdamW(twice, AdamWConfig.lm(1e-3)));
        assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("'b'"), e.getMessage());
        Map<String, Parameter> sameArray = new LinkedHashMap<>();
        sameArray.put("a", w);
        sameArray.put("b", new Parameter(w.data()));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(sameArray, new SgdConfig(0.1, 0, 0, false)));
        e = assertThrows(IllegalArgumentException.class,
                () -> new AdamWConfig(1e-3, 0.9, 0.95, Double.POSITIVE_INFINITY, 0, WeightDecayRule.ALL));
        assertTrue(e.getMessage().contains("eps"), e.getMessage());
    }

    @Test
    void sgdNesterovMatchesPyTorch() {
        Parameter w = new Parameter(GOLDEN.get("adamw.w0").dup());
        Map<String, Parameter> p = new LinkedHashMap<>();
        p.put("w", w);
        Sgd opt = new Sgd(p, new SgdConfig(0.05, 0.9, 1e-2, true));
        for (int k = 0; k < 10; k++) {
            w.accumulateGrad(gradAt("adamw.gw", k));
            opt.step();
            opt.zeroGrad();
        }
        assertClose("sgd w", GOLDEN.get("sgd.w10"), w.data(), 1e-12);
    }

    @Test
    void clipGlobalNormScalesLikePyTorch() {
        Parameter a = new Parameter(Nd4j.zeros(DataType.DOUBLE, 2));
        Parameter b = new Parameter(Nd4j.zeros(DataType.DOUBLE, 1));
        a.accumulateGrad(Nd4j.createFromArray(3.0, 0.0));
        b.accumulateGrad(Nd4j.createFromArray(4.0));
        double norm = GradClip.clipGlobalNorm(List.of(a, b), 1.0);
        assertEquals(5.0, norm, 1e-15);
        assertEquals(3.0 / (5 + 1e-6), a.grad().getDouble(0), 1e-15);
        assertEquals(4.0 / (5 + 1e-6), b.grad().getDouble(0), 1e-15);
        assertEquals(5.0 / (5 + 1e-6), GradClip.globalNorm(List.of(a, b)), 1e-12);
        // below the bound: unchanged
        assertEquals(5.0 / (5 + 1e-6), GradClip.clipGlobalNorm(List.of(a, b), 10), 1e-12);
        assertEquals(3.0 / (5 + 1e-6), a.grad().getDouble(0), 1e-15);
        b.accumulateGrad(Nd4j.createFromArray(Double.NaN));
        assertTrue(Double.isNaN(GradClip.clipGlobalNorm(List.of(a, b), 1.0)));
    }

    @Test
    void schedules() {
        LrSchedule cos = LrSchedule.cosine(1.0, 0.1, 10, 110);
        assertEquals(0.1, cos.lr(0), 1e-15);
        assertEquals(1.0, cos.lr(9), 1e-15);
        assertEquals(1.0, cos.lr(10), 1e-15);
        assertEquals(0.55, cos.lr(60), 1e-12);
        assertEquals(0.1, cos.lr(110), 1e-15);
        assertEquals(0.1, cos.lr(500), 1e-15);
        LrSchedule lin = new LrSchedule(ScheduleKind.LINEAR, 1.0, 0.0, 0, 100, 0);
        assertEquals(0.75, lin.lr(25), 1e-15);
        LrSchedule wsd = new LrSchedule(ScheduleKind.WARMUP_STABLE_DECAY, 1.0, 0.0, 5, 105, 20);
        assertEquals(0.2, wsd.lr(0), 1e-15);
        assertEquals(1.0, wsd.lr(84), 1e-15);
        assertEquals(1.0, wsd.lr(85), 1e-15);
        assertEquals(0.5, wsd.lr(95), 1e-15);
        assertEquals(0.0, wsd.lr(105), 1e-15);
        assertEquals(0.3, LrSchedule.constant(0.3).lr(1_000_000), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LrSchedule(ScheduleKind.WARMUP_STABLE_DECAY, 1.0, 0.0, 5, 105, 200));
        assertTrue(e.getMessage().contains("decaySteps"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(1.0, 2.0, 0, 10));
    }
}
