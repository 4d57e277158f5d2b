package dev.tessera.host;


/**
 * Float32 primitives over array slices, the inner loops of Tessera's host kernels. Two
 * implementations compute the same formulas: {@link ScalarOps} (plain Java, always available, the
 * reference) and {@code VectorOps} (Java Vector API, chosen by {@link Simd} when the JVM has the
 * {@code jdk.incubator.vector} module). Results agree to float rounding (the vector versions sum in
 * a different order and use polynomial exp/erf), which the tests bound against float64 references.
 *
 * <p>Conventions: {@code (a, ao)} is a slice of {@code n} elements of {@code a} starting at
 * {@code ao}; output slices may be the input slice (in place) unless stated otherwise; nullable
 * affine arrays ({@code w}, {@code b}) are indexed from 0.
 */
public interface SimdOps {

    /** Σ a. */
    float sum(float[] a, int ao, int n);

    /** Σ a·b. */
    float dot(float[] a, int ao, float[] b, int bo, int n);

    /** max a (−∞ for n = 0; NaN if any element is NaN). */
    float max(float[] a, int ao, int n);

    /** out = exp(a − shift); returns Σ out. exp of −∞ is exactly 0. */
    float expShift(float[] a, int ao, int n, float shift, float[] out, int oo);

    /** a ← a·s. */
    void scale(float[] a, int ao, int n, float s);

    /** y ← y + α·x. */
    void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n);

    /** y ← y + x. */
    void add(float[] x, int xo, float[] y, int yo, int n);

    // ---------------------------------------------------------------- normalisation rows

    /**
     * Layer norm ({@code rms} false) or RMS norm ({@code rms} true) forward of {@code rows} rows of
     * {@code c} columns: for row i at {@code x[xo + i·c]}, mean = Σx/c (0 for RMS norm), rstd =
     * 1/√(Σ(x − mean)²/c + eps) (the root in double), y = (x − mean)·rstd·w + b into
     * {@code y[yo + i·c]}. Writes {@code mean[ro + i]} (mean is null for RMS norm) and
     * {@code rstd[ro + i]}; w and b are (c) or null. y may be x at the same offset (in place); it
     * must not overlap x otherwise.
     */
    void normRows(float[] x, int xo, int rows, int c, float[] w, float[] b, float eps, boolean rms,
            float[] y, int yo, float[] mean, float[] rstd, int ro);

    /**
     * The two row sums of a norm's backward, with d = g·w (w nullable) and x̂ = (x − mean)·rstd:
     * {@code out[0] = Σ d}, {@code out[1] = Σ d·x̂}.
     */
    void normBackwardSums(float[] g, int go, float[] x, int xo, int n, float mean, float rstd, float[] w, float[] out);

    /**
     * One row of a norm's backward: dx = rstd·(d − meanD − x̂·meanDX) (dx nullable), dw += g·x̂ and
     * db += g (each nullable, indexed from 0), with d and x̂ as in {@link #normBackwardSums}.
     */
    void normBackward(float[] g, int go, float[] x, int xo, int n, float mean, float rstd, float[] w,
            float meanD, float meanDX, float[] dx, int dxo, float[] dw, float[] db);

    // ---------------------------------------------------------------- activations

    /** y = 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) (GPT-2's GELU). */
    void geluTanh(float[] x, int xo, int n, float[] y, int yo);

    /** dx = g·dGELU_tanh/dx, recomputing tanh from x (dx may alias g). */
    void geluTanhBackward(float[] x, int xo, float[] g, int go, int n, float[] dx, int dxo);

    /** y = x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (exact GELU). */
    void gelu(float[] x, int xo, int n, float[] y, int yo);

    /** dx = g·(Φ(x) + x·φ(x)) (dx may alias g). */
    void geluBackward(float[] x, int xo, float[] g, int go, int n, float[] dx, int dxo);

    /** y = silu(gate)·up = gate·σ(gate)·up (SwiGLU). */
    void swiglu(float[] gate, int gao, float[] up, int uo, int n, float[] y, int yo);

    /**
     * SwiGLU's backward: dGate = g·up·σ(gate)·(1 + gate·(1 − σ(gate))), dUp = g·silu(gate). Either
     * output may be null; neither may alias an input.
     */
    void swigluBackward(float[] gate, int gao, float[] up, int uo, float[] g, int go, int n,
            float[] dGate, int dgo, float[] dUp, int duo);
}
