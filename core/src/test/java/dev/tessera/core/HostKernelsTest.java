package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.host.HostMemory;
import dev.tessera.host.Parallel;
import dev.tessera.host.Simd;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The float32 host kernels (norms, activations), with the Vector API and with the scalar ops, on one
 * thread and on several, against the float64 portable path on the same inputs: forward values and
 * every input gradient, at float tolerance. Shapes include widths that are not multiples of the
 * vector length, a single row, views, and sizes large enough to run on several threads.
 */
class HostKernelsTest {
    private static final long[][] SHAPES = {{1, 1}, {3, 7}, {2, 5, 33}, {300, 33}, {64, 768}, {5, 17, 129}};

    @AfterEach
    void restore() {
        Simd.setForceScalar(false);
        HostMemory.setForcePortable(false);
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    /** Runs f on float32 copies (host path) and on float64 copies (portable path) and compares. */
    private static void check(String name, Function<Tensor[], Tensor> f, long[] outShape, INDArray... values) {
        INDArray upstream = new Rng(99).normal(DataType.DOUBLE, 0, 1, outShape);
        INDArray[] ref = run(f, upstream, DataType.DOUBLE, values);
        for (boolean scalar : new boolean[] {false, true}) {
            for (int threads : new int[] {1, 2}) {
                Simd.setForceScalar(scalar);
                Parallel.setThreads(threads);
                INDArray[] got = run(f, upstream, DataType.FLOAT, values);
                for (int i = 0; i < ref.length; i++) {
                    INDArray r = ref[i];
                    INDArray gv = got[i].castTo(DataType.DOUBLE);
                    double diff = gv.sub(r).amaxNumber().doubleValue();
                    double scale = Math.max(1, r.amaxNumber().doubleValue());
                    assertTrue(diff <= 2e-5 * scale, name + (scalar ? " scalar" : " simd") + " threads=" + threads
                            + (i == 0 ? " output" : " grad of input " + (i - 1)) + " differs by " + diff);
                }
            }
        }
    }

    private static INDArray[] run(Function<Tensor[], Tensor> f, INDArray upstream, DataType dtype, INDArray... values) {
        HostMemory.setForcePortable(dtype == DataType.DOUBLE); // float64 also takes the portable path by design
        Tensor[] in = new Tensor[values.length];
        for (int i = 0; i < values.length; i++) {
            in[i] = Tensor.variable(values[i].castTo(dtype).dup());
        }
        Tensor out = f.apply(in);
        out.backward(upstream.castTo(dtype));
        INDArray[] res = new INDArray[values.length + 1];
        res[0] = out.data();
        for (int i = 0; i < values.length; i++) {
            res[i + 1] = in[i].grad();
        }
        return res;
    }

    @Test
    void layerNormMatchesFloat64() {
        Rng rng = new Rng(1);
        for (long[] shape : SHAPES) {
            long c = shape[shape.length - 1];
            INDArray x = rng.normal(DataType.DOUBLE, 1.5, 2, shape);
            INDArray w = rng.normal(DataType.DOUBLE, 1, 0.5, c);
            INDArray b = rng.normal(DataType.DOUBLE, 0, 0.5, c);
            check("layerNorm " + java.util.Arrays.toString(shape), t -> Normalization.layerNorm(t[0], t[1], t[2], 1e-5), shape, x, w, b);
            check("layerNorm no affine", t -> Normalization.layerNorm(t[0], null, null, 1e-5), shape, x);
        }
        INDArray x = rng.normal(DataType.DOUBLE, 0, 1, 6, 9, 20);
        INDArray w = rng.normal(DataType.DOUBLE, 1, 0.5, 20);
        check("layerNorm of a transposed view", t -> Normalization.layerNorm(t[0].transpose(0, 1), t[1], null, 1e-5),
                new long[] {9, 6, 20}, x, w);
    }

    @Test
    void rmsNormMatchesFloat64() {
        Rng rng = new Rng(2);
        for (long[] shape : SHAPES) {
            long c = shape[shape.length - 1];
            INDArray x = rng.normal(DataType.DOUBLE, 0.5, 2, shape);
            INDArray w = rng.normal(DataType.DOUBLE, 1, 0.5, c);
            check("rmsNorm " + java.util.Arrays.toString(shape), t -> Normalization.rmsNorm(t[0], t[1], 1e-6), shape, x, w);
            check("rmsNorm no weight", t -> Normalization.rmsNorm(t[0], null, 1e-6), shape, x);
        }
    }

    @Test
    void activationsMatchFloat64() {
        Rng rng = new Rng(3);
        for (long[] shape : new long[][] {{1}, {7}, {3, 17}, {40, 1000}, {2, 3, 4099}}) {
            INDArray x = rng.normal(DataType.DOUBLE, 0, 3, shape);
            INDArray up = rng.normal(DataType.DOUBLE, 0, 1, shape);
            check("gelu", t -> Activations.gelu(t[0]), shape, x);
            check("geluTanh", t -> Activations.geluTanh(t[0]), shape, x);
            check("swiglu", t -> Activations.swiglu(t[0], t[1]), shape, x, up);
        }
    }

    @Test
    void linearEpiloguesMatchFloat64() {
        Rng rng = new Rng(5);
        // (x shape, out): widths off the vector length, one row, and (300, 129) large enough for two threads
        long[][] xShapes = {{1, 1}, {3, 7}, {2, 5, 33}, {300, 33}, {4, 64}};
        long[] outs = {1, 17, 129, 129, 1000};
        for (int s = 0; s < xShapes.length; s++) {
            long[] xs = xShapes[s];
            long in = xs[xs.length - 1];
            long out = outs[s];
            long[] ys = xs.clone();
            ys[ys.length - 1] = out;
            INDArray x = rng.normal(DataType.DOUBLE, 0, 1, xs);
            INDArray w = rng.normal(DataType.DOUBLE, 0, 3 / Math.sqrt(in), in, out);
            INDArray b = rng.normal(DataType.DOUBLE, 0, 1, out);
            String tag = java.util.Arrays.toString(xs) + " x " + out;
            check("linear " + tag, t -> MatMul.linear(t[0], t[1], t[2]), ys, x, w, b);
            check("linearGelu " + tag, t -> MatMul.linearGelu(t[0], t[1], t[2]), ys, x, w, b);
            check("linearGeluTanh " + tag, t -> MatMul.linearGeluTanh(t[0], t[1], t[2]), ys, x, w, b);
        }
    }

    @Test
    void fusedLinearGeluEqualsTheComposition() {
        Rng rng = new Rng(6);
        INDArray x = rng.normal(DataType.FLOAT, 0, 1, 3, 11, 37);
        INDArray w = rng.normal(DataType.FLOAT, 0, 0.3, 37, 131);
        INDArray b = rng.normal(DataType.FLOAT, 0, 1, 131);
        INDArray g = rng.normal(DataType.FLOAT, 0, 1, 3, 11, 131);
        for (LinearEpilogue.Gelu kind : LinearEpilogue.Gelu.values()) {
            Tensor[] fused = {Tensor.variable(x.dup()), Tensor.variable(w.dup()), Tensor.variable(b.dup())};
            Tensor yf = kind == LinearEpilogue.Gelu.EXACT ? MatMul.linearGelu(fused[0], fused[1], fused[2])
                    : MatMul.linearGeluTanh(fused[0], fused[1], fused[2]);
            yf.backward(g.dup());
            Tensor[] comp = {Tensor.variable(x.dup()), Tensor.variable(w.dup()), Tensor.variable(b.dup())};
            Tensor yc = MatMul.composedLinearGelu(comp[0], comp[1], comp[2], kind);
            yc.backward(g.dup());
            assertEquals(0, yf.data().sub(yc.data()).amaxNumber().doubleValue(), 1e-5, kind + " output");
            for (int i = 0; i < 3; i++) {
                double scale = Math.max(1, comp[i].grad().amaxNumber().doubleValue());
                assertEquals(0, fused[i].grad().sub(comp[i].grad()).amaxNumber().doubleValue(), 1e-5 * scale,
                        kind + " grad of input " + i);
            }
        }
    }

    @Test
    void fusedLinearGeluWithoutGradientKeepsNothingForABackward() {
        Rng rng = new Rng(7);
        Tensor x = Tensor.constant(rng.normal(DataType.FLOAT, 0, 1, 4, 9));
        Tensor w = Tensor.constant(rng.normal(DataType.FLOAT, 0, 1, 9, 5));
        Tensor b = Tensor.constant(rng.normal(DataType.FLOAT, 0, 1, 5));
        Tensor ref = MatMul.composedLinearGelu(x, w, b, LinearEpilogue.Gelu.TANH); // outside the pool
        boolean was = HostMemory.setPooling(true);
        try {
            long before = HostMemory.pooledBytesInUse();
            Tensor y = MatMul.linearGeluTanh(x, w, b);
            assertTrue(HostMemory.pooledBytesInUse() > before);
            assertEquals(0, y.data().sub(ref.data()).amaxNumber().doubleValue(), 1e-6);
            assertTrue(HostMemory.release(y.data()));
            // once the output is back, nothing of the op is left in use: the pre-activation went back at once
            assertEquals(before, HostMemory.pooledBytesInUse());
        } finally {
            HostMemory.setPooling(was);
        }
    }

    @Test
    void swigluEqualsTheComposition() {
        Rng rng = new Rng(4);
        INDArray gate = rng.normal(DataType.FLOAT, 0, 2, 5, 37);
        INDArray up = rng.normal(DataType.FLOAT, 0, 1, 5, 37);
        Tensor a = Tensor.variable(gate.dup());
        Tensor b = Tensor.variable(up.dup());
        Tensor fused = a.swiglu(b);
        fused.sum().backward();
        Tensor a2 = Tensor.variable(gate.dup());
        Tensor b2 = Tensor.variable(up.dup());
        Tensor composed = a2.silu().mul(b2);
        composed.sum().backward();
        assertEquals(0, fused.data().sub(composed.data()).amaxNumber().doubleValue(), 1e-5);
        assertEquals(0, a.grad().sub(a2.grad()).amaxNumber().doubleValue(), 1e-5);
        assertEquals(0, b.grad().sub(b2.grad()).amaxNumber().doubleValue(), 1e-5);
    }

    @Test
    void geluTanhIsFiniteAtExtremes() {
        Tensor x = Tensor.variable(Tensor.of(new float[] {-1e30f, -100f, -10f, 0f, 10f, 100f, 1e30f}, 7).data());
        Tensor y = x.geluTanh();
        y.sum().backward();
        double[] v = y.data().toDoubleVector();
        assertEquals(0.0, v[0], 0.0);
        assertEquals(1e30, v[6], 1e24);
        for (double d : x.grad().toDoubleVector()) {
            assertTrue(Double.isFinite(d), "gradient " + d);
        }
    }
}
