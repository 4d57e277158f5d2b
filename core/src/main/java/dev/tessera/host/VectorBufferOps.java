package dev.tessera.host;

import static dev.tessera.host.VectorOps.L;
import static dev.tessera.host.VectorOps.S;
import static dev.tessera.host.VectorOps.V_DERIV_CLAMP;
import static dev.tessera.host.VectorOps.V_DERIV_NEG_CLAMP;
import static dev.tessera.host.VectorOps.V_DERIV_P0;
import static dev.tessera.host.VectorOps.V_DERIV_P1;
import static dev.tessera.host.VectorOps.V_DERIV_P2;
import static dev.tessera.host.VectorOps.V_DERIV_P3;
import static dev.tessera.host.VectorOps.V_DERIV_P4;
import static dev.tessera.host.VectorOps.V_DERIV_P5;
import static dev.tessera.host.VectorOps.V_DERIV_Q1;
import static dev.tessera.host.VectorOps.V_DERIV_Q2;
import static dev.tessera.host.VectorOps.V_DERIV_Q3;
import static dev.tessera.host.VectorOps.V_DERIV_Q4;
import static dev.tessera.host.VectorOps.V_DERIV_Q5;
import static dev.tessera.host.VectorOps.V_ERF_CLAMP;
import static dev.tessera.host.VectorOps.V_ERF_P0;
import static dev.tessera.host.VectorOps.V_ERF_P1;
import static dev.tessera.host.VectorOps.V_ERF_P2;
import static dev.tessera.host.VectorOps.V_ERF_P3;
import static dev.tessera.host.VectorOps.V_ERF_P4;
import static dev.tessera.host.VectorOps.V_ERF_P5;
import static dev.tessera.host.VectorOps.V_ERF_Q1;
import static dev.tessera.host.VectorOps.V_ERF_Q2;
import static dev.tessera.host.VectorOps.V_ERF_Q3;
import static dev.tessera.host.VectorOps.V_ERF_Q4;
import static dev.tessera.host.VectorOps.V_ERF_Q5;
import static dev.tessera.host.VectorOps.V_HALF;
import static dev.tessera.host.VectorOps.V_NEG_HALF;
import static dev.tessera.host.VectorOps.V_ONE;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link BufferOps} on Java 17–19's Vector API: {@link VectorOps}'s loops with vectors loaded by
 * {@code fromByteBuffer} and stored by {@code intoByteBuffer} where those read or write native
 * memory, the arithmetic written out in each loop as there (a shared per-vector helper lost C2's
 * inlining and boxed its vectors). Loaded by {@link Simd#buffers()} by name, and only where
 * {@code FloatVector.intoByteBuffer} exists, so that nothing links it on a newer JDK. Tails shorter
 * than a vector are read element by element into a scratch array, run through {@link ScalarOps}
 * (as the array kernels' tails are), and put back element by element.
 */
final class VectorBufferOps implements BufferOps {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ScalarOps TAIL = new ScalarOps();

    /** {@link VectorOps#gelu}'s loop (two vectors per iteration, then one), loading from x and storing into y. */
    @Override
    public void gelu(ByteBuffer x, int xo, int n, ByteBuffer y, int yo) {
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            FloatVector v0 = FloatVector.fromByteBuffer(S, x, (xo + i) * Float.BYTES, ORDER);
            FloatVector v1 = FloatVector.fromByteBuffer(S, x, (xo + i + L) * Float.BYTES, ORDER);
            FloatVector a0 = v0.abs();
            FloatVector s0 = v0.mul(v0);
            FloatVector a1 = v1.abs();
            FloatVector s1 = v1.mul(v1);
            FloatVector e0 = a0.mul(V_ERF_P5.fma(s0, V_ERF_P4).fma(s0, V_ERF_P3).fma(s0, V_ERF_P2).fma(s0, V_ERF_P1).fma(s0, V_ERF_P0))
                    .div(V_ERF_Q5.fma(s0, V_ERF_Q4).fma(s0, V_ERF_Q3).fma(s0, V_ERF_Q2).fma(s0, V_ERF_Q1).fma(s0, V_ONE))
                    .blend(V_ONE, a0.compare(VectorOperators.GT, V_ERF_CLAMP));
            FloatVector e1 = a1.mul(V_ERF_P5.fma(s1, V_ERF_P4).fma(s1, V_ERF_P3).fma(s1, V_ERF_P2).fma(s1, V_ERF_P1).fma(s1, V_ERF_P0))
                    .div(V_ERF_Q5.fma(s1, V_ERF_Q4).fma(s1, V_ERF_Q3).fma(s1, V_ERF_Q2).fma(s1, V_ERF_Q1).fma(s1, V_ONE))
                    .blend(V_ONE, a1.compare(VectorOperators.GT, V_ERF_CLAMP));
            a0.mul(V_HALF).fma(e0, v0.mul(V_HALF)).intoByteBuffer(y, (yo + i) * Float.BYTES, ORDER);
            a1.mul(V_HALF).fma(e1, v1.mul(V_HALF)).intoByteBuffer(y, (yo + i + L) * Float.BYTES, ORDER);
        }
        for (int bound = n - L; i <= bound; i += L) {
            FloatVector v = FloatVector.fromByteBuffer(S, x, (xo + i) * Float.BYTES, ORDER);
            FloatVector a = v.abs();
            FloatVector s = v.mul(v);
            FloatVector e = a.mul(V_ERF_P5.fma(s, V_ERF_P4).fma(s, V_ERF_P3).fma(s, V_ERF_P2).fma(s, V_ERF_P1).fma(s, V_ERF_P0))
                    .div(V_ERF_Q5.fma(s, V_ERF_Q4).fma(s, V_ERF_Q3).fma(s, V_ERF_Q2).fma(s, V_ERF_Q1).fma(s, V_ONE))
                    .blend(V_ONE, a.compare(VectorOperators.GT, V_ERF_CLAMP));
            a.mul(V_HALF).fma(e, v.mul(V_HALF)).intoByteBuffer(y, (yo + i) * Float.BYTES, ORDER);
        }
        int m = n - i;
        if (m > 0) {
            float[] t = Scratch.floats(5, 2 * m); // [x tail, y tail]
            get(x, xo + i, m, t, 0);
            TAIL.gelu(t, 0, m, t, m);
            put(t, m, m, y, yo + i);
        }
    }

    /** {@link VectorOps#geluBackward}'s loop (two vectors per iteration, then one), over buffers. */
    @Override
    public void geluBackward(ByteBuffer x, int xo, ByteBuffer g, int go, int n, ByteBuffer dx, int dxo) {
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            FloatVector v0 = FloatVector.fromByteBuffer(S, x, (xo + i) * Float.BYTES, ORDER);
            FloatVector v1 = FloatVector.fromByteBuffer(S, x, (xo + i + L) * Float.BYTES, ORDER);
            FloatVector s0 = v0.mul(v0);
            FloatVector s1 = v1.mul(v1);
            FloatVector o0 = v0.mul(V_DERIV_P5.fma(s0, V_DERIV_P4).fma(s0, V_DERIV_P3).fma(s0, V_DERIV_P2).fma(s0, V_DERIV_P1).fma(s0, V_DERIV_P0))
                    .div(V_DERIV_Q5.fma(s0, V_DERIV_Q4).fma(s0, V_DERIV_Q3).fma(s0, V_DERIV_Q2).fma(s0, V_DERIV_Q1).fma(s0, V_ONE))
                    .blend(V_HALF, v0.compare(VectorOperators.GT, V_DERIV_CLAMP))
                    .blend(V_NEG_HALF, v0.compare(VectorOperators.LT, V_DERIV_NEG_CLAMP));
            FloatVector o1 = v1.mul(V_DERIV_P5.fma(s1, V_DERIV_P4).fma(s1, V_DERIV_P3).fma(s1, V_DERIV_P2).fma(s1, V_DERIV_P1).fma(s1, V_DERIV_P0))
                    .div(V_DERIV_Q5.fma(s1, V_DERIV_Q4).fma(s1, V_DERIV_Q3).fma(s1, V_DERIV_Q2).fma(s1, V_DERIV_Q1).fma(s1, V_ONE))
                    .blend(V_HALF, v1.compare(VectorOperators.GT, V_DERIV_CLAMP))
                    .blend(V_NEG_HALF, v1.compare(VectorOperators.LT, V_DERIV_NEG_CLAMP));
            o0.add(V_HALF).mul(FloatVector.fromByteBuffer(S, g, (go + i) * Float.BYTES, ORDER))
                    .intoByteBuffer(dx, (dxo + i) * Float.BYTES, ORDER);
            o1.add(V_HALF).mul(FloatVector.fromByteBuffer(S, g, (go + i + L) * Float.BYTES, ORDER))
                    .intoByteBuffer(dx, (dxo + i + L) * Float.BYTES, ORDER);
        }
        for (int bound = n - L; i <= bound; i += L) {
            FloatVector v = FloatVector.fromByteBuffer(S, x, (xo + i) * Float.BYTES, ORDER);
            FloatVector s = v.mul(v);
            FloatVector o = v.mul(V_DERIV_P5.fma(s, V_DERIV_P4).fma(s, V_DERIV_P3).fma(s, V_DERIV_P2).fma(s, V_DERIV_P1).fma(s, V_DERIV_P0))
                    .div(V_DERIV_Q5.fma(s, V_DERIV_Q4).fma(s, V_DERIV_Q3).fma(s, V_DERIV_Q2).fma(s, V_DERIV_Q1).fma(s, V_ONE))
                    .blend(V_HALF, v.compare(VectorOperators.GT, V_DERIV_CLAMP))
                    .blend(V_NEG_HALF, v.compare(VectorOperators.LT, V_DERIV_NEG_CLAMP));
            o.add(V_HALF).mul(FloatVector.fromByteBuffer(S, g, (go + i) * Float.BYTES, ORDER))
                    .intoByteBuffer(dx, (dxo + i) * Float.BYTES, ORDER);
        }
        int m = n - i;
        if (m > 0) {
            float[] t = Scratch.floats(5, 3 * m); // [x tail, g tail, dx tail]
            get(x, xo + i, m, t, 0);
            get(g, go + i, m, t, m);
            TAIL.geluBackward(t, 0, t, m, m, t, 2 * m);
            put(t, 2 * m, m, dx, dxo + i);
        }
    }

    /** {@link VectorOps#normRows}: its statistics, then rows normalised in pairs into y. */
    @Override
    public void normRows(float[] x, int xo, int rows, int c, float[] w, float[] b, float eps, boolean rms,
            ByteBuffer y, int yo, float[] mean, float[] rstd, int ro) {
        VectorOps.normStats(x, xo, rows, c, eps, rms, mean, rstd, ro);
        for (int i = 0; i < rows; i += 2) {
            int j = Math.min(i + 1, rows - 1); // an odd last row pairs with itself
            normalizePair(x, xo + i * c, xo + j * c, c, VectorOps.stat(mean, ro + i), rstd[ro + i],
                    VectorOps.stat(mean, ro + j), rstd[ro + j], w, b, y, yo + i * c, yo + j * c);
        }
    }

    /** {@link VectorOps}' pair normalisation, storing into y at float indices y0 and y1 (the two may be one row). */
    private static void normalizePair(float[] x, int x0, int x1, int n, float mean0, float rstd0, float mean1,
            float rstd1, float[] w, float[] b, ByteBuffer y, int y0, int y1) {
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector h0 = FloatVector.fromArray(S, x, x0 + j).sub(mean0).mul(rstd0);
            FloatVector h1 = FloatVector.fromArray(S, x, x1 + j).sub(mean1).mul(rstd1);
            if (w != null) {
                FloatVector wj = FloatVector.fromArray(S, w, j);
                h0 = h0.mul(wj);
                h1 = h1.mul(wj);
            }
            if (b != null) {
                FloatVector bj = FloatVector.fromArray(S, b, j);
                h0 = h0.add(bj);
                h1 = h1.add(bj);
            }
            h0.intoByteBuffer(y, (y0 + j) * Float.BYTES, ORDER);
            h1.intoByteBuffer(y, (y1 + j) * Float.BYTES, ORDER);
        }
        int m = n - bound;
        if (m > 0) {
            float[] t = Scratch.floats(5, n); // columns [bound, n) at their own indices
            TAIL.normalizeTail(x, x0, n, bound, mean0, rstd0, w, b, t, 0);
            put(t, bound, m, y, y0 + bound);
            if (x1 != x0) {
                TAIL.normalizeTail(x, x1, n, bound, mean1, rstd1, w, b, t, 0);
                put(t, bound, m, y, y1 + bound);
            }
        }
    }

    /** m floats of x from float index xo into t from index to. */
    private static void get(ByteBuffer x, int xo, int m, float[] t, int to) {
        for (int k = 0; k < m; k++) {
            t[to + k] = x.getFloat((xo + k) * Float.BYTES);
        }
    }

    /** t[from, from + m) into y from float index yo. */
    private static void put(float[] t, int from, int m, ByteBuffer y, int yo) {
        for (int k = 0; k < m; k++) {
            y.putFloat((yo + k) * Float.BYTES, t[from + k]);
        }
    }
}
