package dev.tessera.training.loss;

import static dev.tessera.training.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import dev.tessera.host.Simd;
import dev.tessera.testing.GoldenFile;
import dev.tessera.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class CrossEntropyTest {
    private static final GoldenFile GOLDEN = GoldenFile.load("/golden/training.json");

    private static INDArray ints(INDArray a) {
        return a.castTo(DataType.INT);
    }

    private static void checkGolden(String name, CrossEntropyOptions options) {
        Tensor logits = Tensor.variable(GOLDEN.get("ce.logits").dup());
        LossResult r = CrossEntropy.loss(logits, ints(GOLDEN.get("ce.targets")), options);
        r.loss().backward();
        assertEquals(GOLDEN.get("ce." + name + ".loss").getDouble(0), r.loss().item(), 1e-12, name + " loss");
        assertClose(name + " grad", GOLDEN.get("ce." + name + ".grad"), logits.grad(), 1e-12);
    }

    @Test
    void matchesPyTorchWithIgnoreIndex() {
        checkGolden("plain", CrossEntropyOptions.defaults());
    }

    @Test
    void matchesPyTorchWithLabelSmoothing() {
        checkGolden("smooth", CrossEntropyOptions.defaults().withLabelSmoothing(0.1));
    }

    @Test
    void matchesPyTorchWithZLoss() {
        checkGolden("zloss", CrossEntropyOptions.defaults().withLabelSmoothing(0.1).withZLoss(1e-2));
    }

    @Test
    void causalShiftMatchesPyTorch() {
        Tensor logits = Tensor.variable(GOLDEN.get("ce.logits").dup());
        LossResult r = CausalLmLoss.loss(logits, ints(GOLDEN.get("causal.ids")), CrossEntropyOptions.defaults());
        r.loss().backward();
        assertEquals(GOLDEN.get("causal.loss").getDouble(0), r.loss().item(), 1e-12);
        assertClose("causal grad", GOLDEN.get("causal.grad"), logits.grad(), 1e-12);
        assertEquals(7, r.validTokens()); // 2 rows × 4 shifted targets, one of them ignored
    }

    @Test
    void gradientCheckAllVariants() {
        Rng rng = new Rng(7);
        INDArray targets = Nd4j.createFromArray(new int[][] {{1, -100, 4}, {0, 2, -100}});
        CrossEntropyOptions[] variants = {
            CrossEntropyOptions.defaults(),
            CrossEntropyOptions.defaults().withLabelSmoothing(0.2),
            CrossEntropyOptions.defaults().withLabelSmoothing(0.1).withZLoss(1e-2),
        };
        for (CrossEntropyOptions o : variants) {
            Tensor x = GradCheck.randomVariable(rng, 2, 3, 5);
            GradCheck.check("ce " + o, GradCheck.LOSS_TOLERANCE, in -> CrossEntropy.loss(in[0], targets, o).loss(), x);
            GradCheck.check("ce normalizer " + o, GradCheck.LOSS_TOLERANCE,
                    in -> CrossEntropy.loss(in[0], targets, o, 10).loss(), x);
        }
        // batch 1, and a transposed view as input
        Tensor one = GradCheck.randomVariable(rng, 1, 4, 6);
        INDArray t1 = Nd4j.createFromArray(new int[][] {{5, 0, -100, 3}});
        GradCheck.check("ce batch 1", GradCheck.LOSS_TOLERANCE,
                in -> CausalLmLoss.loss(in[0], t1, CrossEntropyOptions.defaults()).loss(), one);
        Tensor view = Tensor.variable(rng.normal(DataType.DOUBLE, 0, 1, 5, 3).transpose());
        INDArray t2 = Nd4j.createFromArray(new int[] {1, 4, 0});
        GradCheck.check("ce view", GradCheck.LOSS_TOLERANCE,
                in -> CrossEntropy.loss(in[0], t2, CrossEntropyOptions.defaults().withLabelSmoothing(0.1)).loss(), view);
    }

    /** float64 reference: lse − z_y with lse = m + log Σ exp(z − m). */
    private static double reference(double[] z, int y) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : z) {
            m = Math.max(m, x);
        }
        double s = 0;
        for (double x : z) {
            s += Math.exp(x - m);
        }
        return m + Math.log(s) - z[y];
    }

    @Test
    void extremeLogitsAreStable() {
        double inf = Double.NEGATIVE_INFINITY;
        double[][] rows = {
            {1e4, -1e4, 0, 3}, {1e8, -1e8, 1e8, 0}, {-1e8, -1e8, -1e8, -1e8}, {inf, 2, inf, -1},
            {1e4, 1e4 - 1, inf, -1e8}, {-1e4, 1e4, 5, inf},
        };
        int[] targets = {1, 2, 0, 1, 1, 0};
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            double expectedSum = 0;
            for (int i = 0; i < rows.length; i++) {
                double[] z = rows[i].clone();
                if (dt == DataType.FLOAT) {
                    for (int k = 0; k < z.length; k++) {
                        z[k] = (float) z[k];
                    }
                }
                expectedSum += reference(z, targets[i]);
            }
            Tensor logits = Tensor.variable(Nd4j.createFromArray(rows).castTo(dt));
            LossResult r = CrossEntropy.loss(logits, Nd4j.createFromArray(targets), CrossEntropyOptions.defaults());
            r.loss().backward();
            double expected = expectedSum / rows.length;
            assertEquals(expected, r.loss().item(), Math.abs(expected) * (dt == DataType.FLOAT ? 1e-6 : 1e-12), dt.toString());
            double[] g = dev.tessera.training.Flat.doubles(logits.grad());
            for (double x : g) {
                assertTrue(Double.isFinite(x), dt + " gradient has " + x);
            }
            // probabilities of −inf entries are exactly 0, so their gradient is exactly 0
            assertEquals(0.0, logits.grad().getDouble(3, 0));
        }
    }

    @Test
    void smoothingWithMinusInfinityIsInfiniteNotNaN() {
        Tensor logits = Tensor.variable(Nd4j.createFromArray(new double[][] {{Double.NEGATIVE_INFINITY, 1, 2}}));
        LossResult r = CrossEntropy.loss(logits, Nd4j.createFromArray(new int[] {1}),
                CrossEntropyOptions.defaults().withLabelSmoothing(0.1));
        assertEquals(Double.POSITIVE_INFINITY, r.loss().item());
        r.loss().backward();
        assertFalse(Double.isNaN(logits.grad().sumNumber().doubleValue()));
    }

    @Test
    void allIgnoredGivesZeroLossAndGradient() {
        Tensor logits = Tensor.variable(Nd4j.rand(DataType.DOUBLE, 2, 3));
        LossResult r = CrossEntropy.loss(logits, Nd4j.createFromArray(new int[] {-100, -100}), CrossEntropyOptions.defaults());
        assertEquals(0.0, r.loss().item());
        assertEquals(0, r.validTokens());
        r.loss().backward();
        assertEquals(0.0, logits.grad().sumNumber().doubleValue());
    }

    @Test
    void metrics() {
        Tensor logits = Tensor.constant(Nd4j.zeros(DataType.DOUBLE, 4, 50));
        LossResult r = CrossEntropy.loss(logits, Nd4j.createFromArray(new int[] {0, 1, 2, 3}), CrossEntropyOptions.defaults());
        assertEquals(50.0, r.perplexity(), 1e-9);
        assertEquals(Math.log(50) * 4, r.nllSum(), 1e-12);
        assertEquals(8.0, LmMetrics.bitsPerByte(8 * Math.log(2), 1), 1e-12);
        assertEquals(0.25, r.accuracy()); // argmax of a constant row is index 0
    }

    @Test
    void rejectsBadInput() {
        Tensor logits = Tensor.constant(Nd4j.zeros(DataType.DOUBLE, 2, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.loss(logits, Nd4j.createFromArray(new int[] {0, 5}), CrossEntropyOptions.defaults()));
        assertTrue(e.getMessage().contains("targets[1]") && e.getMessage().contains("5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.loss(logits, Nd4j.createFromArray(new int[] {0, 1, 2}), CrossEntropyOptions.defaults()));
        assertTrue(e.getMessage().contains("[2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.loss(logits, Nd4j.createFromArray(new int[] {0, 1}), CrossEntropyOptions.defaults(), 0));
        assertThrows(IllegalArgumentException.class, () -> new CrossEntropyOptions(-100, 1.0, 0));
    }

    /** Runs {@code f} with the fused kernels switched off (the portable ND4J path), then restores them. */
    private static <T> T portable(java.util.function.Supplier<T> f) {
        HostMemory.setForcePortable(true);
        try {
            return f.get();
        } finally {
            HostMemory.setForcePortable(false);
        }
    }

    /** Loss and gradient of one call, as doubles. */
    private static double[] lossAndGrad(INDArray logits, INDArray targets, CrossEntropyOptions o) {
        Tensor x = Tensor.variable(logits.dup());
        LossResult r = CrossEntropy.loss(x, targets, o);
        r.loss().backward();
        double[] g = dev.tessera.training.Flat.doubles(x.grad());
        double[] out = new double[g.length + 3];
        out[0] = r.loss().item();
        out[1] = r.nllSum();
        out[2] = r.correct();
        System.arraycopy(g, 0, out, 3, g.length);
        return out;
    }

    /**
     * PyTorch: a tie at 1e16 has loss log 2 and [3e38, 3e38, 3e38, 3e38] log 4; computing
     * lse − z_y as (m + log s) − z_y rounds both to 0.
     */
    @Test
    void largeLogitsKeepTheirLossOnEveryPath() {
        double[][] rows = {{1e16, 1e16, 0, -1e16}, {3e38, 3e38, 3e38, 3e38}};
        INDArray targets = Nd4j.createFromArray(new int[] {0, 1});
        double mean = (Math.log(2) + Math.log(4)) / 2;
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (boolean forcePortable : new boolean[] {false, true}) {
                INDArray z = Nd4j.createFromArray(rows).castTo(dt);
                double[] got = forcePortable ? portable(() -> lossAndGrad(z, targets, CrossEntropyOptions.defaults()))
                        : lossAndGrad(z, targets, CrossEntropyOptions.defaults());
                String what = dt + (forcePortable ? " portable" : " default path");
                assertEquals(mean, got[0], 1e-6 * mean, what + " loss");
                assertEquals(Math.log(2) + Math.log(4), got[1], 1e-6 * mean, what + " nll sum");
                // gradients (p − onehot) / 2: row 0 p = (0.5, 0.5, 0, 0), row 1 p = 0.25 everywhere
                assertEquals(-0.25, got[3], 1e-7, what + " grad[0][0]");
                assertEquals(0.25, got[4], 1e-7, what + " grad[0][1]");
                assertEquals(0.0, got[5], 0.0, what + " grad[0][2]");
                assertEquals(-0.375, got[3 + 4 + 1], 1e-7, what + " grad[1][1]");
                assertEquals(0.125, got[3 + 4 + 2], 1e-7, what + " grad[1][2]");
            }
        }
    }

    /** The float32 kernel against the portable ND4J path (float32 and float64) on odd sizes, every option. */
    @Test
    void fusedKernelMatchesThePortablePath() {
        for (boolean scalar : new boolean[] {false, true}) { // Vector API row primitives (where present), scalar
            Simd.setForceScalar(scalar);
            try {
                fusedAgainstPortable();
            } finally {
                Simd.setForceScalar(false);
            }
        }
    }

    private static void fusedAgainstPortable() {
        Rng rng = new Rng(23);
        CrossEntropyOptions[] variants = {
            CrossEntropyOptions.defaults(),
            CrossEntropyOptions.defaults().withLabelSmoothing(0.1),
            CrossEntropyOptions.defaults().withLabelSmoothing(0.1).withZLoss(1e-3),
        };
        for (int[] nv : new int[][] {{1, 7}, {37, 1001}, {130, 257}}) {
            int n = nv[0];
            int v = nv[1];
            INDArray z64 = rng.normal(DataType.DOUBLE, 0, 3, n, v);
            int[] t = new int[n];
            for (int i = 0; i < n; i++) {
                t[i] = i % 5 == 3 ? -100 : (int) ((i * 7919L) % v);
            }
            INDArray targets = Nd4j.createFromArray(t);
            for (CrossEntropyOptions o : variants) {
                double[] ref = lossAndGrad(z64, targets, o); // float64: the portable path
                double[] portable32 = portable(() -> lossAndGrad(z64.castTo(DataType.FLOAT), targets, o));
                double[] fused32 = lossAndGrad(z64.castTo(DataType.FLOAT), targets, o);
                String what = n + "x" + v + " " + o;
                assertEquals(ref[0], fused32[0], 1e-5 * Math.abs(ref[0]), what + " fused loss");
                assertEquals(ref[0], portable32[0], 1e-5 * Math.abs(ref[0]), what + " portable loss");
                assertEquals(ref[1], fused32[1], 1e-5 * Math.abs(ref[1]), what + " fused nll");
                assertEquals(ref[2], fused32[2], 0, what + " fused correct");
                assertEquals(ref[2], portable32[2], 0, what + " portable correct");
                for (int i = 3; i < ref.length; i++) {
                    assertEquals(ref[i], fused32[i], 1e-7, what + " fused grad " + (i - 3));
                    assertEquals(ref[i], portable32[i], 1e-7, what + " portable grad " + (i - 3));
                }
            }
        }
    }
}
