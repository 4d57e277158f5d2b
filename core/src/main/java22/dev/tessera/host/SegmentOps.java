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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link DirectOps} on Java 22+: the Vector API loading from and storing to native memory through
 * {@code MemorySegment}s, at the speed of its array loads. On the Zen 5 machine exact GELU over
 * 2 M floats ran at 0.17 ns per float per thread this way (one vector per iteration, Java 25),
 * against about 0.8 for the block copies plus the array kernel on data that does not fit the
 * caches: the loop streams memory while it computes, where the block copies do not. The loops take
 * two vectors per iteration, as {@link VectorOps}'s do (see {@link VectorOps#gelu} for why).
 *
 * <p>Compiled by a Java 22+ {@code javac} into {@code META-INF/versions/22}, loaded by
 * {@link Simd#direct()} by name. The arithmetic is {@link VectorOps}'s, written out in each loop (a
 * shared per-vector helper lost C2's inlining in some call sites and boxed its vectors); tails
 * shorter than a vector run {@link ScalarOps}, as the array kernels' tails do.
 */
final class SegmentOps implements DirectOps {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ScalarOps TAIL = new ScalarOps();

    /**
     * All of the address space as one segment, so that a raw address is an offset into it (the
     * kernels' callers guarantee that the memory is allocated). {@code reinterpret} is a restricted
     * method: Java 22+ prints a one-line warning the first time unless the JVM was started with
     * {@code --enable-native-access=ALL-UNNAMED}, as it does for ND4J's own native libraries.
     */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    @Override
    public void gelu(long x, long y, long from, long to) {
        long i = from;
        for (long bound = to - 2 * L; i <= bound; i += 2 * L) {
            FloatVector v0 = FloatVector.fromMemorySegment(S, ALL, x + i * Float.BYTES, ORDER);
            FloatVector v1 = FloatVector.fromMemorySegment(S, ALL, x + (i + L) * Float.BYTES, ORDER);
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
            a0.mul(V_HALF).fma(e0, v0.mul(V_HALF)).intoMemorySegment(ALL, y + i * Float.BYTES, ORDER);
            a1.mul(V_HALF).fma(e1, v1.mul(V_HALF)).intoMemorySegment(ALL, y + (i + L) * Float.BYTES, ORDER);
        }
        for (long bound = to - L; i <= bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, ALL, x + i * Float.BYTES, ORDER);
            FloatVector a = v.abs();
            FloatVector s = v.mul(v);
            FloatVector e = a.mul(V_ERF_P5.fma(s, V_ERF_P4).fma(s, V_ERF_P3).fma(s, V_ERF_P2).fma(s, V_ERF_P1).fma(s, V_ERF_P0))
                    .div(V_ERF_Q5.fma(s, V_ERF_Q4).fma(s, V_ERF_Q3).fma(s, V_ERF_Q2).fma(s, V_ERF_Q1).fma(s, V_ONE))
                    .blend(V_ONE, a.compare(VectorOperators.GT, V_ERF_CLAMP));
            a.mul(V_HALF).fma(e, v.mul(V_HALF)).intoMemorySegment(ALL, y + i * Float.BYTES, ORDER);
        }
        int n = (int) (to - i);
        if (n > 0) {
            float[] xs = tail(0, x, i, n);
            float[] ys = Scratch.floats(1, n);
            TAIL.gelu(xs, 0, n, ys, 0);
            store(ys, n, y, i);
        }
    }

    @Override
    public void geluBackward(long x, long g, long dx, long from, long to) {
        long i = from;
        for (long bound = to - 2 * L; i <= bound; i += 2 * L) {
            FloatVector v0 = FloatVector.fromMemorySegment(S, ALL, x + i * Float.BYTES, ORDER);
            FloatVector v1 = FloatVector.fromMemorySegment(S, ALL, x + (i + L) * Float.BYTES, ORDER);
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
            o0.add(V_HALF).mul(FloatVector.fromMemorySegment(S, ALL, g + i * Float.BYTES, ORDER)).intoMemorySegment(ALL, dx + i * Float.BYTES, ORDER);
            o1.add(V_HALF).mul(FloatVector.fromMemorySegment(S, ALL, g + (i + L) * Float.BYTES, ORDER)).intoMemorySegment(ALL, dx + (i + L) * Float.BYTES, ORDER);
        }
        for (long bound = to - L; i <= bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, ALL, x + i * Float.BYTES, ORDER);
            FloatVector s = v.mul(v);
            FloatVector o = v.mul(V_DERIV_P5.fma(s, V_DERIV_P4).fma(s, V_DERIV_P3).fma(s, V_DERIV_P2).fma(s, V_DERIV_P1).fma(s, V_DERIV_P0))
                    .div(V_DERIV_Q5.fma(s, V_DERIV_Q4).fma(s, V_DERIV_Q3).fma(s, V_DERIV_Q2).fma(s, V_DERIV_Q1).fma(s, V_ONE))
                    .blend(V_HALF, v.compare(VectorOperators.GT, V_DERIV_CLAMP))
                    .blend(V_NEG_HALF, v.compare(VectorOperators.LT, V_DERIV_NEG_CLAMP));
            o.add(V_HALF).mul(FloatVector.fromMemorySegment(S, ALL, g + i * Float.BYTES, ORDER)).intoMemorySegment(ALL, dx + i * Float.BYTES, ORDER);
        }
        tail2(x, g, dx, i, (int) (to - i), (xs, gs, n, ds) -> TAIL.geluBackward(xs, 0, gs, 0, n, ds, 0));
    }

    /** {@link VectorOps#swiglu}'s loop over native memory: v·σ(v)·up with {@link VectorOps#sigmoid}. */
    @Override
    public void swiglu(long gate, long up, long y, long from, long to) {
        long i = from;
        for (long bound = to - L; i <= bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, ALL, gate + i * Float.BYTES, ORDER);
            v.mul(VectorOps.sigmoid(v)).mul(FloatVector.fromMemorySegment(S, ALL, up + i * Float.BYTES, ORDER))
                    .intoMemorySegment(ALL, y + i * Float.BYTES, ORDER);
        }
        tail2(gate, up, y, i, (int) (to - i), (gs, us, n, ys) -> TAIL.swiglu(gs, 0, us, 0, n, ys, 0));
    }

    /**
     * Rows read and written in place: copies in and out of per-thread blocks were about as much time
     * as the arithmetic. Every step is {@link VectorOps#normRows}'s in its order (the sums with four
     * accumulators, rows normalised in pairs), so the results are the same bits; the last c mod L
     * columns of a row go through {@link ScalarOps}, as there.
     */
    @Override
    public void normRows(long x, long y, int c, float[] w, float[] b, float eps, boolean rms, float[] mean,
            float[] rstd, int rowFrom, int rowTo) {
        int body = S.loopBound(c); // columns [0, body) in vectors, [body, c) in the scalar tail
        for (int r = rowFrom; r < rowTo; r += 2) {
            int s = Math.min(r + 1, rowTo - 1); // an odd last row pairs with itself: loads come before stores
            rowStats(x, r, c, body, eps, rms, mean, rstd);
            if (s != r) {
                rowStats(x, s, c, body, eps, rms, mean, rstd);
            }
            float m0 = rms ? 0f : mean[r];
            float m1 = rms ? 0f : mean[s];
            long x0 = x + (long) r * c * Float.BYTES;
            long x1 = x + (long) s * c * Float.BYTES;
            long y0 = y + (long) r * c * Float.BYTES;
            long y1 = y + (long) s * c * Float.BYTES;
            for (int j = 0; j < body; j += L) {
                FloatVector h0 = FloatVector.fromMemorySegment(S, ALL, x0 + (long) j * Float.BYTES, ORDER).sub(m0).mul(rstd[r]);
                FloatVector h1 = FloatVector.fromMemorySegment(S, ALL, x1 + (long) j * Float.BYTES, ORDER).sub(m1).mul(rstd[s]);
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
                h0.intoMemorySegment(ALL, y0 + (long) j * Float.BYTES, ORDER);
                h1.intoMemorySegment(ALL, y1 + (long) j * Float.BYTES, ORDER);
            }
            normalizeTail(x, y, r, c, body, m0, rstd[r], w, b);
            if (s != r) {
                normalizeTail(x, y, s, c, body, m1, rstd[s], w, b);
            }
        }
    }

    /** Row r's mean (unless RMS norm) and rstd: {@link VectorOps#rowSum}'s and {@link VectorOps#rowSumSquaredDiff}'s steps. */
    private static void rowStats(long x, int r, int c, int body, float eps, boolean rms, float[] mean, float[] rstd) {
        long row = x + (long) r * c * Float.BYTES;
        int n = c - body;
        float[] tx = tail(0, x, (long) r * c + body, n); // (n) the row's last columns
        float m = 0f;
        if (!rms) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            int j = 0;
            for (; j + 4 * L <= body; j += 4 * L) {
                a0 = a0.add(FloatVector.fromMemorySegment(S, ALL, row + (long) j * Float.BYTES, ORDER));
                a1 = a1.add(FloatVector.fromMemorySegment(S, ALL, row + (long) (j + L) * Float.BYTES, ORDER));
                a2 = a2.add(FloatVector.fromMemorySegment(S, ALL, row + (long) (j + 2 * L) * Float.BYTES, ORDER));
                a3 = a3.add(FloatVector.fromMemorySegment(S, ALL, row + (long) (j + 3 * L) * Float.BYTES, ORDER));
            }
            for (; j < body; j += L) {
                a0 = a0.add(FloatVector.fromMemorySegment(S, ALL, row + (long) j * Float.BYTES, ORDER));
            }
            m = (VectorOps.sumLanes(a0.add(a1).add(a2.add(a3))) + TAIL.sum(tx, 0, n)) / c;
            mean[r] = m;
        }
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int j = 0;
        for (; j + 4 * L <= body; j += 4 * L) {
            FloatVector d0 = FloatVector.fromMemorySegment(S, ALL, row + (long) j * Float.BYTES, ORDER).sub(m);
            FloatVector d1 = FloatVector.fromMemorySegment(S, ALL, row + (long) (j + L) * Float.BYTES, ORDER).sub(m);
            FloatVector d2 = FloatVector.fromMemorySegment(S, ALL, row + (long) (j + 2 * L) * Float.BYTES, ORDER).sub(m);
            FloatVector d3 = FloatVector.fromMemorySegment(S, ALL, row + (long) (j + 3 * L) * Float.BYTES, ORDER).sub(m);
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            a2 = d2.fma(d2, a2);
            a3 = d3.fma(d3, a3);
        }
        for (; j < body; j += L) {
            FloatVector d = FloatVector.fromMemorySegment(S, ALL, row + (long) j * Float.BYTES, ORDER).sub(m);
            a0 = d.fma(d, a0);
        }
        float ssd = VectorOps.sumLanes(a0.add(a1).add(a2.add(a3))) + TAIL.sumSquaredDiff(tx, 0, n, m);
        rstd[r] = ScalarOps.rstd(ssd, c, eps);
    }

    /** Columns [body, c) of row r through {@link ScalarOps#normalizeTail}, as the array kernel's tail. */
    private static void normalizeTail(long x, long y, int r, int c, int body, float m, float rs, float[] w, float[] b) {
        int n = c - body;
        if (n > 0) {
            float[] tx = tail(0, x, (long) r * c + body, n);
            float[] ty = Scratch.floats(1, n);
            TAIL.normalizeTail(tx, -body, c, body, m, rs, w, b, ty, -body); // tx[j - body] is column j
            store(ty, n, y, (long) r * c + body);
        }
    }

    @FunctionalInterface
    private interface ScalarTail2 {
        void apply(float[] a, float[] b, int n, float[] out);
    }

    /**
     * The last {@code n} (fewer than a vector) elements from element {@code from} of a two-input
     * kernel: copied into scratch arrays, computed by {@code f} ({@link ScalarOps}, as the array
     * kernels' tails are), stored back.
     */
    private static void tail2(long a, long b, long out, long from, int n, ScalarTail2 f) {
        if (n > 0) {
            float[] os = Scratch.floats(2, n);
            f.apply(tail(0, a, from, n), tail(1, b, from, n), n, os);
            store(os, n, out, from);
        }
    }

    /** The n floats at element {@code from} of {@code address}, in this thread's scratch {@code slot}. */
    private static float[] tail(int slot, long address, long from, int n) {
        float[] a = Scratch.floats(slot, n);
        MemorySegment.copy(ALL, ValueLayout.JAVA_FLOAT, address + from * Float.BYTES, a, 0, n);
        return a;
    }

    private static void store(float[] a, int n, long address, long from) {
        MemorySegment.copy(a, 0, ALL, ValueLayout.JAVA_FLOAT, address + from * Float.BYTES, n);
    }
}
