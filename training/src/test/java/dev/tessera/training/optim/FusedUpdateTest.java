package dev.tessera.training.optim;

import static dev.tessera.training.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.core.Rng;
import dev.tessera.host.HostMemory;
import dev.tessera.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused float32 AdamW and SGD updates against their portable ND4J paths (float32) and against a
 * float64 scalar reference of the formulas, on an odd size below one chunk and a size that spans
 * several chunks updated in parallel, with a ragged last chunk.
 */
class FusedUpdateTest {
    private static final int[] SIZES = {7, 5 * HostChunks.CHUNK + 3};
    private static final int STEPS = 4;

    /** Initial parameters and per-step gradients for a (2, n) matrix "w" and an n-vector "b". */
    private record Problem(INDArray w0, INDArray b0, INDArray[] gw, INDArray[] gb) {
        static Problem of(int n, long seed) {
            Rng rng = new Rng(seed);
            INDArray[] gw = new INDArray[STEPS];
            INDArray[] gb = new INDArray[STEPS];
            for (int k = 0; k < STEPS; k++) {
                gw[k] = rng.normal(DataType.DOUBLE, 0, 1, 2, n);
                gb[k] = rng.normal(DataType.DOUBLE, 0, 1, n);
            }
            return new Problem(rng.normal(DataType.DOUBLE, 0, 1, 2, n), rng.normal(DataType.DOUBLE, 0, 1, n), gw, gb);
        }
    }

    /** Runs STEPS steps of the optimizer made by {@code make} in {@code dt}; returns w and b as float64. */
    private static INDArray[] run(Problem pr, DataType dt, boolean portable,
            Function<Map<String, Parameter>, Optimizer> make) {
        Parameter w = new Parameter(pr.w0().castTo(dt).dup());
        Parameter b = new Parameter(pr.b0().castTo(dt).dup());
        Map<String, Parameter> ps = new LinkedHashMap<>();
        ps.put("w", w);
        ps.put("b", b);
        Optimizer opt = make.apply(ps);
        HostMemory.setForcePortable(portable);
        try {
            for (int k = 0; k < STEPS; k++) {
                w.accumulateGrad(pr.gw()[k].castTo(dt).dup());
                b.accumulateGrad(pr.gb()[k].castTo(dt).dup());
                opt.step();
                opt.zeroGrad();
            }
        } finally {
            HostMemory.setForcePortable(false);
        }
        return new INDArray[] {w.data().castTo(DataType.DOUBLE), b.data().castTo(DataType.DOUBLE)};
    }

    /** float64 AdamW by the formula on {@link AdamW}, element by element. */
    private static double[] adamWReference(INDArray x0, INDArray[] grads, AdamWConfig c, boolean decay) {
        double[] p = x0.dup('c').data().asDouble();
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        for (int t = 1; t <= STEPS; t++) {
            double[] g = grads[t - 1].dup('c').data().asDouble();
            double stepSize = c.lr() / (1 - Math.pow(c.beta1(), t));
            double bc2 = Math.sqrt(1 - Math.pow(c.beta2(), t));
            for (int i = 0; i < p.length; i++) {
                p[i] *= decay ? 1 - c.lr() * c.weightDecay() : 1;
                m[i] = c.beta1() * m[i] + (1 - c.beta1()) * g[i];
                v[i] = c.beta2() * v[i] + (1 - c.beta2()) * g[i] * g[i];
                p[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / bc2 + c.eps());
            }
        }
        return p;
    }

    /** float64 SGD by the formula on {@link SgdConfig}. */
    private static double[] sgdReference(INDArray x0, INDArray[] grads, SgdConfig c) {
        double[] p = x0.dup('c').data().asDouble();
        double[] buf = new double[p.length];
        for (int t = 0; t < STEPS; t++) {
            double[] g = grads[t].dup('c').data().asDouble();
            for (int i = 0; i < p.length; i++) {
                double d = g[i] + c.weightDecay() * p[i];
                double update = d;
                if (c.momentum() > 0) {
                    buf[i] = t == 0 ? d : c.momentum() * buf[i] + d;
                    update = c.nesterov() ? d + c.momentum() * buf[i] : buf[i];
                }
                p[i] -= c.lr() * update;
            }
        }
        return p;
    }

    /** The values rounded to float32 (what the float32 runs see), as float64. */
    private static INDArray f32(INDArray x) {
        return x.castTo(DataType.FLOAT).castTo(DataType.DOUBLE);
    }

    private static INDArray[] f32(INDArray[] xs) {
        INDArray[] out = new INDArray[xs.length];
        for (int i = 0; i < xs.length; i++) {
            out[i] = f32(xs[i]);
        }
        return out;
    }

    private static INDArray arr(double[] v, long... shape) {
        return Nd4j.create(v, shape, DataType.DOUBLE);
    }

    @Test
    void adamWFusedMatchesPortableAndTheFloat64Reference() {
        AdamWConfig c = new AdamWConfig(1e-2, 0.9, 0.95, 1e-8, 0.1, WeightDecayRule.MATRICES_ONLY);
        for (int n : SIZES) {
            Problem pr = Problem.of(n, 100 + n);
            Function<Map<String, Parameter>, Optimizer> make = ps -> new AdamW(ps, c);
            INDArray[] fused = run(pr, DataType.FLOAT, false, make);
            INDArray[] portable = run(pr, DataType.FLOAT, true, make);
            INDArray[] f64 = run(pr, DataType.DOUBLE, false, make);
            INDArray wRef = arr(adamWReference(f32(pr.w0()), f32(pr.gw()), c, true), 2, n);
            INDArray bRef = arr(adamWReference(f32(pr.b0()), f32(pr.gb()), c, false), n);
            assertClose("adamw n=" + n + " fused w vs portable", portable[0], fused[0], 2e-6);
            assertClose("adamw n=" + n + " fused b vs portable", portable[1], fused[1], 2e-6);
            assertClose("adamw n=" + n + " fused w vs float64", wRef, fused[0], 2e-6);
            assertClose("adamw n=" + n + " fused b vs float64", bRef, fused[1], 2e-6);
            assertClose("adamw n=" + n + " float64 path w", arr(adamWReference(pr.w0(), pr.gw(), c, true), 2, n),
                    f64[0], 1e-12);
            assertClose("adamw n=" + n + " float64 path b", arr(adamWReference(pr.b0(), pr.gb(), c, false), n),
                    f64[1], 1e-12);
        }
    }

    @Test
    void sgdFusedMatchesPortableAndTheFloat64Reference() {
        SgdConfig[] configs = {
            new SgdConfig(0.05, 0, 0, false), new SgdConfig(0.05, 0.9, 1e-2, false), new SgdConfig(0.05, 0.9, 1e-2, true),
        };
        for (SgdConfig c : configs) {
            for (int n : SIZES) {
                Problem pr = Problem.of(n, 200 + n);
                Function<Map<String, Parameter>, Optimizer> make = ps -> new Sgd(ps, c);
                INDArray[] fused = run(pr, DataType.FLOAT, false, make);
                INDArray[] portable = run(pr, DataType.FLOAT, true, make);
                INDArray[] f64 = run(pr, DataType.DOUBLE, false, make);
                String what = "sgd " + c + " n=" + n;
                assertClose(what + " fused w vs portable", portable[0], fused[0], 2e-6);
                assertClose(what + " fused b vs portable", portable[1], fused[1], 2e-6);
                assertClose(what + " fused w vs float64",
                        arr(sgdReference(f32(pr.w0()), f32(pr.gw()), c), 2, n), fused[0], 2e-6);
                assertClose(what + " float64 path w", arr(sgdReference(pr.w0(), pr.gw(), c), 2, n), f64[0], 1e-12);
                assertClose(what + " float64 path b", arr(sgdReference(pr.b0(), pr.gb(), c), n), f64[1], 1e-12);
            }
        }
    }

    @Test
    void globalNormOfFloat32GradientsMatchesPortableAndFloat64() {
        for (int n : SIZES) {
            Problem pr = Problem.of(n, 300 + n);
            Parameter w = new Parameter(pr.w0().castTo(DataType.FLOAT));
            w.accumulateGrad(pr.gw()[0].castTo(DataType.FLOAT));
            double[] g = pr.gw()[0].castTo(DataType.FLOAT).castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double ref = 0;
            for (double x : g) {
                ref += x * x;
            }
            ref = Math.sqrt(ref);
            double fused = GradClip.globalNorm(List.of(w));
            HostMemory.setForcePortable(true);
            double portable;
            try {
                portable = GradClip.globalNorm(List.of(w));
            } finally {
                HostMemory.setForcePortable(false);
            }
            assertEquals(ref, fused, 1e-12 * ref, "fused n=" + n);
            assertEquals(ref, portable, 1e-12 * ref, "portable n=" + n);
        }
    }
}
