package dev.tessera.host;

import static dev.tessera.host.ScalarOps.GELU_DERIV_CLAMP;
import static dev.tessera.host.ScalarOps.GELU_DERIV_P;
import static dev.tessera.host.ScalarOps.GELU_DERIV_Q;
import static dev.tessera.host.ScalarOps.GELU_ERF_CLAMP;
import static dev.tessera.host.ScalarOps.GELU_ERF_P;
import static dev.tessera.host.ScalarOps.GELU_ERF_Q;
import static dev.tessera.host.ScalarOps.GELU_CLAMP;
import static dev.tessera.host.ScalarOps.GELU_CUBIC;
import static dev.tessera.host.ScalarOps.GELU_EXP_CAP;
import static dev.tessera.host.ScalarOps.SQRT_2_OVER_PI;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SimdOps} on the Java Vector API ({@code jdk.incubator.vector}, Java 17 and later), at the
 * CPU's preferred width (16 floats with AVX-512, 8 with AVX2). Loaded only by {@link Simd}, and only
 * when the module is present, so the library runs without it.
 *
 * <p>Performance notes. {@code exp} is this class's own polynomial, not
 * {@code VectorOperators.EXP}: the operator's speed depends on whether the JDK links its SVML stubs
 * (it falls back to a scalar call per lane otherwise), and on the Zen 4 machine tanh built from an
 * exp polynomial beat the API's {@code TANH} by ~1.4×. GELU-tanh and sigmoid are built from
 * that exp, as PyTorch's vectorised kernels build theirs. The Vector API has no erf operator (neither
 * Java 17's nor Java 25's {@code VectorOperators}); exact GELU and its derivative are rational
 * functions with no exp at all ({@link ScalarOps#oddRational}, {@link #oddRational}). Tails shorter
 * than a vector run the scalar formulas.
 */
final class VectorOps implements SimdOps {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final ScalarOps TAIL = new ScalarOps();

    // exp(x) = 2^n · e^r, n = round(x·log2 e), r = x − n·ln 2 (ln 2 split in two for precision),
    // e^r ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2 (the classic single-precision minimax polynomial, ~1 ulp).
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND_MAGIC = 12582912f; // 1.5·2^23: adding it rounds to an integer
    private static final int ROUND_MAGIC_BITS = 0x4B400000;
    private static final float EXP_LO = -87.33654f; // below: exactly 0 (also for −∞)
    private static final float EXP_HI = 88.72283f; // above: +∞
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private static FloatVector bc(float v) {
        return FloatVector.broadcast(S, v);
    }

    /** e^x per lane; exactly 0 below −87.34 (so exp(−∞) = 0), +∞ above 88.72, NaN stays NaN. */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
        FloatVector nf = t.sub(ROUND_MAGIC).min(127f); // n ≤ 127 keeps 2^n finite at the top edge
        IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS).min(127);
        FloatVector r = nf.fma(bc(-LN2_HI), xc);
        r = nf.fma(bc(-LN2_LO), r);
        FloatVector p = bc(P0).fma(r, bc(P1)).fma(r, bc(P2)).fma(r, bc(P3)).fma(r, bc(P4)).fma(r, bc(P5));
        FloatVector y = p.fma(r.mul(r), r.add(1f));
        FloatVector scale = ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        y = y.mul(scale);
        y = y.blend(0f, x.compare(VectorOperators.LT, EXP_LO));
        return y.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_HI));
    }

    /**
     * The lanes of {@code v} summed in lane order, 0 first. Not {@code reduceLanes(ADD)}: the API
     * leaves a float reduction's order open, and on newer JDKs (seen on Java 25) the compiled
     * intrinsic sums in a tree while the interpreter's fallback sums in lane order, so one kernel
     * gave results a last bit apart before and after the JIT compiled it. Lane order is what both
     * give on Java 17, so results there are unchanged.
     */
    static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int k = 0; k < L; k++) {
            s += v.lane(k);
        }
        return s;
    }

    /** σ(v) = 1/(1 + e^{−v}). */
    static FloatVector sigmoid(FloatVector v) {
        return FloatVector.broadcast(S, 1f).div(exp(v.neg()).add(1f));
    }

    @Override
    public float sum(float[] a, int ao, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
            acc = acc.add(FloatVector.fromArray(S, a, ao + i));
        }
        return sumLanes(acc) + TAIL.sum(a, ao + i, n - i);
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
            acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
        }
        return sumLanes(acc) + TAIL.dot(a, ao + i, b, bo + i, n - i);
    }

    @Override
    public float max(float[] a, int ao, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += L) {
            acc = acc.max(FloatVector.fromArray(S, a, ao + i));
        }
        return Math.max(acc.reduceLanes(VectorOperators.MAX), TAIL.max(a, ao + i, n - i));
    }

    @Override
    public float expShift(float[] a, int ao, int n, float shift, float[] out, int oo) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector e = exp(FloatVector.fromArray(S, a, ao + i).sub(shift));
            e.intoArray(out, oo + i);
            acc = acc.add(e);
        }
        return sumLanes(acc) + TAIL.expShift(a, ao + i, n - i, shift, out, oo + i);
    }

    @Override
    public void scale(float[] a, int ao, int n, float s) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, a, ao + i).mul(s).intoArray(a, ao + i);
        }
        TAIL.scale(a, ao + i, n - i, s);
    }

    @Override
    public void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(bc(alpha), FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        TAIL.axpy(alpha, x, xo + i, y, yo + i, n - i);
    }

    @Override
    public void add(float[] x, int xo, float[] y, int yo, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).add(FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        TAIL.add(x, xo + i, y, yo + i, n - i);
    }

    /**
     * Per row: the two statistics passes, then the rows normalised two at a time (a pair shares its
     * loads of w and b). Measured on the Zen 5 machine over (2048, 768), one thread, rows in L1: the
     * sums with four accumulators ran 1.5–2× faster than with one (a row's 48 vector adds are
     * otherwise one dependency chain), and pairs of rows normalised ~20% faster than single rows,
     * whose three loads per stored vector bound the loop.
     */
    @Override
    public void normRows(float[] x, int xo, int rows, int c, float[] w, float[] b, float eps, boolean rms,
            float[] y, int yo, float[] mean, float[] rstd, int ro) {
        normStats(x, xo, rows, c, eps, rms, mean, rstd, ro);
        for (int i = 0; i < rows; i += 2) {
            int k = Math.min(i + 1, rows - 1); // an odd last row pairs with itself
            normalizePair(x, xo + i * c, xo + k * c, c, stat(mean, ro + i), rstd[ro + i], stat(mean, ro + k), rstd[ro + k],
                    w, b, y, yo + i * c, yo + k * c);
        }
    }

    static float stat(float[] mean, int r) {
        return mean == null ? 0f : mean[r];
    }

    /** mean[ro + i] (unless RMS norm) and rstd[ro + i] of each row. */
    static void normStats(float[] x, int xo, int rows, int c, float eps, boolean rms, float[] mean, float[] rstd, int ro) {
        for (int i = 0; i < rows; i++) {
            int o = xo + i * c;
            float m = rms ? 0f : rowSum(x, o, c) / c;
            if (!rms) {
                mean[ro + i] = m;
            }
            rstd[ro + i] = ScalarOps.rstd(rowSumSquaredDiff(x, o, c, m), c, eps);
        }
    }

    /**
     * Σ a over one norm row with four accumulators, added as (a0 + a1) + (a2 + a3), lanes then in
     * order, then the scalar tail's sum. {@link #sum}, the general reduction, keeps one accumulator.
     */
    static float rowSum(float[] a, int ao, int n) {
        int bound = S.loopBound(n);
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i + 4 * L <= bound; i += 4 * L) {
            a0 = a0.add(FloatVector.fromArray(S, a, ao + i));
            a1 = a1.add(FloatVector.fromArray(S, a, ao + i + L));
            a2 = a2.add(FloatVector.fromArray(S, a, ao + i + 2 * L));
            a3 = a3.add(FloatVector.fromArray(S, a, ao + i + 3 * L));
        }
        for (; i < bound; i += L) {
            a0 = a0.add(FloatVector.fromArray(S, a, ao + i));
        }
        return sumLanes(a0.add(a1).add(a2.add(a3))) + TAIL.sum(a, ao + i, n - i);
    }

    /** Σ (a − m)² over one norm row, accumulated as {@link #rowSum}. */
    static float rowSumSquaredDiff(float[] a, int ao, int n, float m) {
        int bound = S.loopBound(n);
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i + 4 * L <= bound; i += 4 * L) {
            FloatVector d0 = FloatVector.fromArray(S, a, ao + i).sub(m);
            FloatVector d1 = FloatVector.fromArray(S, a, ao + i + L).sub(m);
            FloatVector d2 = FloatVector.fromArray(S, a, ao + i + 2 * L).sub(m);
            FloatVector d3 = FloatVector.fromArray(S, a, ao + i + 3 * L).sub(m);
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            a2 = d2.fma(d2, a2);
            a3 = d3.fma(d3, a3);
        }
        for (; i < bound; i += L) {
            FloatVector d = FloatVector.fromArray(S, a, ao + i).sub(m);
            a0 = d.fma(d, a0);
        }
        return sumLanes(a0.add(a1).add(a2.add(a3))) + TAIL.sumSquaredDiff(a, ao + i, n - i, m);
    }

    /**
     * y = (x − mean)·rstd·w + b (w, b nullable) for two rows at once, x at x0 and x1, y at y0 and y1;
     * the tails as {@link ScalarOps#normalizeTail}. The two may be one row (x0 = x1, y0 = y1): each
     * iteration loads both before it stores, so that is safe in place too, and the tail runs once.
     */
    private static void normalizePair(float[] x, int x0, int x1, int n, float mean0, float rstd0, float mean1,
            float rstd1, float[] w, float[] b, float[] y, int y0, int y1) {
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
            h0.intoArray(y, y0 + j);
            h1.intoArray(y, y1 + j);
        }
        TAIL.normalizeTail(x, x0, n, j, mean0, rstd0, w, b, y, y0);
        if (x1 != x0) {
            TAIL.normalizeTail(x, x1, n, j, mean1, rstd1, w, b, y, y1);
        }
    }

    @Override
    public void normBackwardSums(float[] g, int go, float[] x, int xo, int n, float mean, float rstd, float[] w, float[] out) {
        int bound = S.loopBound(n);
        FloatVector accD = FloatVector.zero(S);
        FloatVector accDX = FloatVector.zero(S);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector d = FloatVector.fromArray(S, g, go + j);
            if (w != null) {
                d = d.mul(FloatVector.fromArray(S, w, j));
            }
            FloatVector h = FloatVector.fromArray(S, x, xo + j).sub(mean).mul(rstd);
            accD = accD.add(d);
            accDX = d.fma(h, accDX);
        }
        TAIL.normBackwardSumsTail(g, go, x, xo, n, j, mean, rstd, w,
                sumLanes(accD), sumLanes(accDX), out);
    }

    @Override
    public void normBackward(float[] g, int go, float[] x, int xo, int n, float mean, float rstd, float[] w,
            float meanD, float meanDX, float[] dx, int dxo, float[] dw, float[] db) {
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector gj = FloatVector.fromArray(S, g, go + j);
            FloatVector h = FloatVector.fromArray(S, x, xo + j).sub(mean).mul(rstd);
            if (dx != null) {
                FloatVector d = w == null ? gj : gj.mul(FloatVector.fromArray(S, w, j));
                d.sub(meanD).sub(h.mul(meanDX)).mul(rstd).intoArray(dx, dxo + j);
            }
            if (dw != null) {
                gj.fma(h, FloatVector.fromArray(S, dw, j)).intoArray(dw, j);
            }
            if (db != null) {
                gj.add(FloatVector.fromArray(S, db, j)).intoArray(db, j);
            }
        }
        if (j < n) {
            TAIL.normBackwardTail(g, go, x, xo, n, j, mean, rstd, w, meanD, meanDX, dx, dxo, dw, db);
        }
    }

    /** As {@link ScalarOps#geluTanh}: y = x·e·q, e = e^{min(2u, 80)}, q = 1/(e + 1). */
    @Override
    public void geluTanh(float[] x, int xo, int n, float[] y, int yo) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector u = v.mul(v).fma(bc(GELU_CUBIC), bc(1f)).mul(v).mul(SQRT_2_OVER_PI);
            FloatVector e = exp(u.add(u).min(GELU_EXP_CAP));
            v.mul(e).div(e.add(1f)).intoArray(y, yo + i);
        }
        TAIL.geluTanh(x, xo + i, n - i, y, yo + i);
    }

    /**
     * As {@link ScalarOps#geluTanhBackward}: e·q + 2x·e·q²·u' on x clamped to ±10. The constants
     * used after {@code exp} are broadcast before the loop: written inline they came after exp's own
     * nodes and passed C2's node-count inlining cutoff, so those broadcasts stayed calls that boxed
     * a vector per iteration (the backward ran 2-3× slower than now).
     */
    @Override
    public void geluTanhBackward(float[] x, int xo, float[] g, int go, int n, float[] dx, int dxo) {
        FloatVector one = bc(1f);
        FloatVector cubic3 = bc(3 * GELU_CUBIC);
        FloatVector s2pi = bc(SQRT_2_OVER_PI);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).max(-GELU_CLAMP).min(GELU_CLAMP);
            FloatVector v2 = v.mul(v);
            FloatVector du = v2.fma(cubic3, one).mul(s2pi);
            FloatVector u = v2.fma(bc(GELU_CUBIC), one).mul(v).mul(s2pi);
            FloatVector e = exp(u.add(u).min(GELU_EXP_CAP));
            FloatVector q = one.div(e.add(one));
            FloatVector eq = e.mul(q);
            FloatVector d = v.add(v).mul(eq).mul(q).fma(du, eq);
            d.mul(FloatVector.fromArray(S, g, go + i)).intoArray(dx, dxo + i);
        }
        TAIL.geluTanhBackward(x, xo + i, g, go + i, n - i, dx, dxo + i);
    }

    // Exact GELU's rational functions as vectors built once (ScalarOps has the coefficients and the
    // fit). Constants written as broadcasts inside these loops would be hoisted by C2 only while the
    // loop body stays under its node-count inlining cutoff; static vectors do not depend on that.
    static final FloatVector V_ONE = bc(1f);
    static final FloatVector V_HALF = bc(0.5f);
    static final FloatVector V_ERF_CLAMP = bc(GELU_ERF_CLAMP);
    static final FloatVector V_NEG_HALF = bc(-0.5f);
    static final FloatVector V_ERF_P0 = bc(GELU_ERF_P[0]);
    static final FloatVector V_ERF_P1 = bc(GELU_ERF_P[1]);
    static final FloatVector V_ERF_P2 = bc(GELU_ERF_P[2]);
    static final FloatVector V_ERF_P3 = bc(GELU_ERF_P[3]);
    static final FloatVector V_ERF_P4 = bc(GELU_ERF_P[4]);
    static final FloatVector V_ERF_P5 = bc(GELU_ERF_P[5]);
    static final FloatVector V_ERF_Q1 = bc(GELU_ERF_Q[1]);
    static final FloatVector V_ERF_Q2 = bc(GELU_ERF_Q[2]);
    static final FloatVector V_ERF_Q3 = bc(GELU_ERF_Q[3]);
    static final FloatVector V_ERF_Q4 = bc(GELU_ERF_Q[4]);
    static final FloatVector V_ERF_Q5 = bc(GELU_ERF_Q[5]);
    static final FloatVector V_DERIV_CLAMP = bc(GELU_DERIV_CLAMP);
    static final FloatVector V_DERIV_NEG_CLAMP = bc(-GELU_DERIV_CLAMP);
    static final FloatVector V_DERIV_P0 = bc(GELU_DERIV_P[0]);
    static final FloatVector V_DERIV_P1 = bc(GELU_DERIV_P[1]);
    static final FloatVector V_DERIV_P2 = bc(GELU_DERIV_P[2]);
    static final FloatVector V_DERIV_P3 = bc(GELU_DERIV_P[3]);
    static final FloatVector V_DERIV_P4 = bc(GELU_DERIV_P[4]);
    static final FloatVector V_DERIV_P5 = bc(GELU_DERIV_P[5]);
    static final FloatVector V_DERIV_Q1 = bc(GELU_DERIV_Q[1]);
    static final FloatVector V_DERIV_Q2 = bc(GELU_DERIV_Q[2]);
    static final FloatVector V_DERIV_Q3 = bc(GELU_DERIV_Q[3]);
    static final FloatVector V_DERIV_Q4 = bc(GELU_DERIV_Q[4]);
    static final FloatVector V_DERIV_Q5 = bc(GELU_DERIV_Q[5]);

    /**
     * y = h + |h|·erf(|x|/√2), h = x/2 (a fused multiply-add; equal to h + h·erf(x/√2) as erf is
     * odd, bit for bit as the float operations are sign-symmetric), with erf(a/√2) = a·P(a²)/Q(a²)
     * as {@link ScalarOps#oddRational}, then 1 where |x| > 5.5. Beyond the clamp the quotient may be
     * ∞/∞ = NaN; the blend replaces it, so x needs no clamp first (compare-and-blend rather than
     * {@code min}, whose NaN and −0 semantics take several instructions on x86). A NaN fails the
     * compare and stays NaN; with |x| one compare and blend do what two did on x.
     *
     * <p>Two vectors per iteration: the two Horner chains and the division are one long dependency
     * chain per vector, and with one vector per iteration C2's code waited on it (0.42 ns per float
     * in L1 on the Zen 5 machine, Java 17, against 0.26 with two and |x|). Four were faster still
     * (0.21), but C1 then gave up on the method ("out of virtual registers") and on Java 17 it could
     * stay in C1's boxing code for good (40× slower); two compile at every tier. The rational is
     * written out in each place rather than shared: a shared helper got compiled on its own, then
     * was "already compiled into a big method" for C2 and stayed a call that boxed its vectors.
     */
    @Override
    public void gelu(float[] x, int xo, int n, float[] y, int yo) {
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, xo + i);
            FloatVector v1 = FloatVector.fromArray(S, x, xo + i + L);
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
            a0.mul(V_HALF).fma(e0, v0.mul(V_HALF)).intoArray(y, yo + i);
            a1.mul(V_HALF).fma(e1, v1.mul(V_HALF)).intoArray(y, yo + i + L);
        }
        for (int bound = n - L; i <= bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector a = v.abs();
            FloatVector s = v.mul(v);
            FloatVector e = a.mul(V_ERF_P5.fma(s, V_ERF_P4).fma(s, V_ERF_P3).fma(s, V_ERF_P2).fma(s, V_ERF_P1).fma(s, V_ERF_P0))
                    .div(V_ERF_Q5.fma(s, V_ERF_Q4).fma(s, V_ERF_Q3).fma(s, V_ERF_Q2).fma(s, V_ERF_Q1).fma(s, V_ONE))
                    .blend(V_ONE, a.compare(VectorOperators.GT, V_ERF_CLAMP));
            a.mul(V_HALF).fma(e, v.mul(V_HALF)).intoArray(y, yo + i);
        }
        TAIL.gelu(x, xo + i, n - i, y, yo + i);
    }

    /**
     * dx = g·(½ + odd part of gelu'(x)), the odd part as in {@link #gelu} with ±½ beyond |x| = 6;
     * two vectors per iteration for the reason given there.
     */
    @Override
    public void geluBackward(float[] x, int xo, float[] g, int go, int n, float[] dx, int dxo) {
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, xo + i);
            FloatVector v1 = FloatVector.fromArray(S, x, xo + i + L);
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
            o0.add(V_HALF).mul(FloatVector.fromArray(S, g, go + i)).intoArray(dx, dxo + i);
            o1.add(V_HALF).mul(FloatVector.fromArray(S, g, go + i + L)).intoArray(dx, dxo + i + L);
        }
        for (int bound = n - L; i <= bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector s = v.mul(v);
            FloatVector o = v.mul(V_DERIV_P5.fma(s, V_DERIV_P4).fma(s, V_DERIV_P3).fma(s, V_DERIV_P2).fma(s, V_DERIV_P1).fma(s, V_DERIV_P0))
                    .div(V_DERIV_Q5.fma(s, V_DERIV_Q4).fma(s, V_DERIV_Q3).fma(s, V_DERIV_Q2).fma(s, V_DERIV_Q1).fma(s, V_ONE))
                    .blend(V_HALF, v.compare(VectorOperators.GT, V_DERIV_CLAMP))
                    .blend(V_NEG_HALF, v.compare(VectorOperators.LT, V_DERIV_NEG_CLAMP));
            o.add(V_HALF).mul(FloatVector.fromArray(S, g, go + i)).intoArray(dx, dxo + i);
        }
        TAIL.geluBackward(x, xo + i, g, go + i, n - i, dx, dxo + i);
    }

    @Override
    public void swiglu(float[] gate, int gao, float[] up, int uo, int n, float[] y, int yo) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, gate, gao + i);
            v.mul(sigmoid(v)).mul(FloatVector.fromArray(S, up, uo + i)).intoArray(y, yo + i);
        }
        TAIL.swiglu(gate, gao + i, up, uo + i, n - i, y, yo + i);
    }

    @Override
    public void swigluBackward(float[] gate, int gao, float[] up, int uo, float[] g, int go, int n,
            float[] dGate, int dgo, float[] dUp, int duo) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, gate, gao + i);
            FloatVector s = sigmoid(v);
            FloatVector gi = FloatVector.fromArray(S, g, go + i);
            if (dGate != null) {
                // g·up·σ·(1 + v·(1 − σ))
                FloatVector inner = v.mul(s.neg().add(1f)).add(1f);
                gi.mul(FloatVector.fromArray(S, up, uo + i)).mul(s).mul(inner).intoArray(dGate, dgo + i);
            }
            if (dUp != null) {
                gi.mul(v).mul(s).intoArray(dUp, duo + i);
            }
        }
        TAIL.swigluBackward(gate, gao + i, up, uo + i, g, go + i, n - i, dGate, dgo + i, dUp, duo + i);
    }
}
