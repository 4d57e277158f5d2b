package dev.tessera.host;

import static dev.tessera.host.ScalarOps.ERFC_A1;
import static dev.tessera.host.ScalarOps.ERFC_A2;
import static dev.tessera.host.ScalarOps.ERFC_A3;
import static dev.tessera.host.ScalarOps.ERFC_A4;
import static dev.tessera.host.ScalarOps.ERFC_A5;
import static dev.tessera.host.ScalarOps.ERFC_P;
import static dev.tessera.host.ScalarOps.GELU_CLAMP;
import static dev.tessera.host.ScalarOps.GELU_CUBIC;
import static dev.tessera.host.ScalarOps.INV_SQRT_2;
import static dev.tessera.host.ScalarOps.INV_SQRT_2PI;
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
 * exp polynomial beat the API's {@code TANH} by ~1.4×. GELU-tanh, sigmoid and erfc are built from
 * that exp, as PyTorch's vectorised kernels build theirs. The Vector API has no erf operator (neither
 * Java 17's nor Java 25's {@code VectorOperators}), so exact GELU's Φ is erfc as a rational
 * polynomial times e^{−x²/2} ({@link #cdf}); the backward reuses that exp for φ, one exp per element
 * in both directions. Tails shorter than a vector run the scalar formulas.
 */
final class VectorOps implements SimdOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
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

    // Constants as vectors, built once: a broadcast written inside a loop is usually hoisted by C2,
    // but not once the loop body passes its node-count inlining cutoff (then each one is a call).
    private static final FloatVector V_ONE = bc(1f);
    private static final FloatVector V_EXP_LO = bc(EXP_LO);
    private static final FloatVector V_EXP_HI = bc(EXP_HI);
    private static final FloatVector V_127 = bc(127f);
    private static final FloatVector V_LOG2E = bc(LOG2E);
    private static final FloatVector V_ROUND_MAGIC = bc(ROUND_MAGIC);
    private static final FloatVector V_NEG_LN2_HI = bc(-LN2_HI);
    private static final FloatVector V_NEG_LN2_LO = bc(-LN2_LO);
    private static final FloatVector V_P0 = bc(P0);
    private static final FloatVector V_P1 = bc(P1);
    private static final FloatVector V_P2 = bc(P2);
    private static final FloatVector V_P3 = bc(P3);
    private static final FloatVector V_P4 = bc(P4);
    private static final FloatVector V_P5 = bc(P5);

    /**
     * e^x per lane; exactly 0 below −87.34 (so exp(−∞) = 0), +∞ above 88.72, NaN stays NaN. The
     * range clamps are compare-and-blend, not {@code max}/{@code min}: the Vector API's float
     * max/min carry NaN and −0 semantics that compile to several instructions each on x86, and with
     * them this function took ~1.4× as long (a NaN fails both compares and passes through as NaN).
     */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.compare(VectorOperators.LT, V_EXP_LO);
        VectorMask<Float> over = x.compare(VectorOperators.GT, V_EXP_HI);
        FloatVector xc = x.blend(V_EXP_LO, under).blend(V_EXP_HI, over);
        FloatVector t = xc.fma(V_LOG2E, V_ROUND_MAGIC);
        FloatVector nf = t.sub(V_ROUND_MAGIC);
        nf = nf.blend(V_127, nf.compare(VectorOperators.GT, V_127)); // n ≤ 127 keeps 2^n finite at the top edge
        IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS).min(127);
        FloatVector r = nf.fma(V_NEG_LN2_HI, xc);
        r = nf.fma(V_NEG_LN2_LO, r);
        FloatVector p = V_P0.fma(r, V_P1).fma(r, V_P2).fma(r, V_P3).fma(r, V_P4).fma(r, V_P5);
        FloatVector y = p.fma(r.mul(r), r.add(V_ONE));
        FloatVector scale = ni.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        y = y.mul(scale);
        y = y.blend(0f, under);
        return y.blend(Float.POSITIVE_INFINITY, over);
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

    private static final FloatVector V_INV_SQRT_2 = bc(INV_SQRT_2);
    private static final FloatVector V_HALF = bc(0.5f);
    private static final FloatVector V_NEG_HALF = bc(-0.5f);
    private static final FloatVector V_INV_SQRT_2PI = bc(INV_SQRT_2PI);
    private static final FloatVector V_ERFC_P = bc(ERFC_P);
    private static final FloatVector V_A1 = bc(ERFC_A1);
    private static final FloatVector V_A2 = bc(ERFC_A2);
    private static final FloatVector V_A3 = bc(ERFC_A3);
    private static final FloatVector V_A4 = bc(ERFC_A4);
    private static final FloatVector V_A5 = bc(ERFC_A5);

    /** erfc(|x|/√2)·e^{x²/2}, as {@link ScalarOps#erfcScaled}. */
    private static FloatVector erfcScaled(FloatVector x) {
        FloatVector z = x.abs().mul(V_INV_SQRT_2);
        FloatVector t = V_ONE.div(z.fma(V_ERFC_P, V_ONE));
        return V_A5.fma(t, V_A4).fma(t, V_A3).fma(t, V_A2).fma(t, V_A1).mul(t);
    }

    /** Φ(x), as {@link ScalarOps#cdf}. */
    private static FloatVector cdf(FloatVector x) {
        return cdf(x, erfcScaled(x), exp(x.mul(x).mul(V_NEG_HALF)));
    }

    /** Φ(x) given erfc(|x|/√2)·e^{x²/2} and e = e^{−x²/2}. */
    private static FloatVector cdf(FloatVector x, FloatVector erfcScaled, FloatVector e) {
        FloatVector half = erfcScaled.mul(e).mul(V_HALF); // ½·erfc(|x|/√2)
        return V_ONE.sub(half).blend(half, x.compare(VectorOperators.LT, 0f));
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
    public float sumSquaredDiff(float[] a, int ao, int n, float c) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector d = FloatVector.fromArray(S, a, ao + i).sub(c);
            acc = d.fma(d, acc);
        }
        return sumLanes(acc) + TAIL.sumSquaredDiff(a, ao + i, n - i, c);
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

    @Override
    public void normalize(float[] x, int xo, int n, float mean, float rstd, float[] w, float[] b, float[] y, int yo) {
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector h = FloatVector.fromArray(S, x, xo + j).sub(mean).mul(rstd);
            if (w != null) {
                h = h.mul(FloatVector.fromArray(S, w, j));
            }
            if (b != null) {
                h = h.add(FloatVector.fromArray(S, b, j));
            }
            h.intoArray(y, yo + j);
        }
        TAIL.normalizeTail(x, xo, n, j, mean, rstd, w, b, y, yo);
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

    private static final FloatVector V_GELU_CUBIC = bc(GELU_CUBIC);
    private static final FloatVector V_GELU_CUBIC_3 = bc(3 * GELU_CUBIC);
    private static final FloatVector V_NEG_2_SQRT_2_OVER_PI = bc(-2 * SQRT_2_OVER_PI);
    private static final FloatVector V_GELU_CLAMP = bc(GELU_CLAMP);
    private static final FloatVector V_NEG_GELU_CLAMP = bc(-GELU_CLAMP);

    /**
     * As {@link ScalarOps#geluTanh}, in the equal form y = x·s, s = 1/(1 + E), E = e^{−2u}
     * (s = ½(1 + tanh u)): E = +∞ for large negative x gives y = x/∞ = −0 and E = 0 for large
     * positive x gives y = x, so unlike x·e/(e + 1) it needs no cap on the exp's argument.
     */
    @Override
    public void geluTanh(float[] x, int xo, int n, float[] y, int yo) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector m2u = v.mul(v).fma(V_GELU_CUBIC, V_ONE).mul(v).mul(V_NEG_2_SQRT_2_OVER_PI); // −2u
            v.div(exp(m2u).add(V_ONE)).intoArray(y, yo + i);
        }
        TAIL.geluTanh(x, xo + i, n - i, y, yo + i);
    }

    /**
     * As {@link ScalarOps#geluTanhBackward} on x clamped to ±10, in the form
     * s + 2x·u'·s·(1 − s) with s = 1/(1 + E), E = e^{−2u} and 1 − s computed as E·s (no
     * cancellation). All constants are static vectors: a broadcast written after {@code exp} in
     * the loop can pass C2's node-count inlining cutoff and stay a call that boxes a vector per
     * iteration (that made this loop 2-3× slower once).
     */
    @Override
    public void geluTanhBackward(float[] x, int xo, float[] g, int go, int n, float[] dx, int dxo) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v = v.blend(V_NEG_GELU_CLAMP, v.compare(VectorOperators.LT, V_NEG_GELU_CLAMP));
            v = v.blend(V_GELU_CLAMP, v.compare(VectorOperators.GT, V_GELU_CLAMP));
            FloatVector v2 = v.mul(v);
            FloatVector m2du = v2.fma(V_GELU_CUBIC_3, V_ONE).mul(V_NEG_2_SQRT_2_OVER_PI); // −2u'
            FloatVector m2u = v2.fma(V_GELU_CUBIC, V_ONE).mul(v).mul(V_NEG_2_SQRT_2_OVER_PI); // −2u
            FloatVector e = exp(m2u);
            FloatVector s = V_ONE.div(e.add(V_ONE));
            FloatVector d = v.mul(m2du).neg().mul(s).mul(e.mul(s)).add(s);
            d.mul(FloatVector.fromArray(S, g, go + i)).intoArray(dx, dxo + i);
        }
        TAIL.geluTanhBackward(x, xo + i, g, go + i, n - i, dx, dxo + i);
    }

    @Override
    public void gelu(float[] x, int xo, int n, float[] y, int yo) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            v.mul(cdf(v)).intoArray(y, yo + i);
        }
        TAIL.gelu(x, xo + i, n - i, y, yo + i);
    }

    /** dx = g·(Φ(x) + x·φ(x)), one e^{−x²/2} per element shared by Φ and φ. */
    @Override
    public void geluBackward(float[] x, int xo, float[] g, int go, int n, float[] dx, int dxo) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector ecs = erfcScaled(v);
            FloatVector e = exp(v.mul(v).mul(V_NEG_HALF));
            FloatVector d = v.fma(e.mul(V_INV_SQRT_2PI), cdf(v, ecs, e));
            d.mul(FloatVector.fromArray(S, g, go + i)).intoArray(dx, dxo + i);
        }
        TAIL.geluBackward(x, xo + i, g, go + i, n - i, dx, dxo + i);
    }

    @Override
    public void swiglu(float[] gate, int gao, float[] up, int uo, int n, float[] y, int yo) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, gate, gao + i);
            v.div(exp(v.neg()).add(V_ONE)).mul(FloatVector.fromArray(S, up, uo + i)).intoArray(y, yo + i); // v·σ(v)·up
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
