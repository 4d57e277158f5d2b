package dev.tessera.host;

/**
 * The plain-Java {@link SimdOps}: the reference the vector version is tested against, and the path
 * taken when the JVM lacks {@code jdk.incubator.vector}. C2 auto-vectorises the simple loops here
 * (axpy, scale, normalize) but not the reductions (float sums must keep their order) nor
 * {@code Math.exp}.
 */
public final class ScalarOps implements SimdOps {
    static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
    static final float GELU_CUBIC = 0.044715f;
    static final float INV_SQRT_2 = (float) (1.0 / Math.sqrt(2.0));
    static final float INV_SQRT_2PI = (float) (1.0 / Math.sqrt(2.0 * Math.PI));

    @Override
    public float sum(float[] a, int ao, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            s += a[ao + i];
        }
        return s;
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    @Override
    public float max(float[] a, int ao, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, a[ao + i]);
        }
        return m;
    }

    @Override
    public float sumSquaredDiff(float[] a, int ao, int n, float c) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            float d = a[ao + i] - c;
            s += d * d;
        }
        return s;
    }

    @Override
    public float expShift(float[] a, int ao, int n, float shift, float[] out, int oo) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(a[ao + i] - shift);
            out[oo + i] = e;
            s += e;
        }
        return s;
    }

    @Override
    public void scale(float[] a, int ao, int n, float s) {
        for (int i = 0; i < n; i++) {
            a[ao + i] *= s;
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    @Override
    public void add(float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] += x[xo + i];
        }
    }

    @Override
    public void normalize(float[] x, int xo, int n, float mean, float rstd, float[] w, float[] b, float[] y, int yo) {
        normalizeTail(x, xo, n, 0, mean, rstd, w, b, y, yo);
    }

    /** {@link #normalize} for columns {@code from..n-1} of the row (the vector version's tail). */
    void normalizeTail(float[] x, int xo, int n, int from, float mean, float rstd, float[] w, float[] b, float[] y, int yo) {
        for (int j = from; j < n; j++) {
            float h = (x[xo + j] - mean) * rstd;
            float v = w == null ? h : h * w[j];
            y[yo + j] = b == null ? v : v + b[j];
        }
    }

    @Override
    public void normBackwardSums(float[] g, int go, float[] x, int xo, int n, float mean, float rstd, float[] w, float[] out) {
        normBackwardSumsTail(g, go, x, xo, n, 0, mean, rstd, w, 0f, 0f, out);
    }

    /** {@link #normBackwardSums} for columns {@code from..n-1}, added to the sums so far (the vector version's tail). */
    void normBackwardSumsTail(float[] g, int go, float[] x, int xo, int n, int from, float mean, float rstd, float[] w,
            float sumD, float sumDX, float[] out) {
        for (int j = from; j < n; j++) {
            float d = w == null ? g[go + j] : g[go + j] * w[j];
            sumD += d;
            sumDX += d * ((x[xo + j] - mean) * rstd);
        }
        out[0] = sumD;
        out[1] = sumDX;
    }

    @Override
    public void normBackward(float[] g, int go, float[] x, int xo, int n, float mean, float rstd, float[] w,
            float meanD, float meanDX, float[] dx, int dxo, float[] dw, float[] db) {
        normBackwardTail(g, go, x, xo, n, 0, mean, rstd, w, meanD, meanDX, dx, dxo, dw, db);
    }

    /** {@link #normBackward} for columns {@code from..n-1} of the row (the vector version's tail). */
    void normBackwardTail(float[] g, int go, float[] x, int xo, int n, int from, float mean, float rstd, float[] w,
            float meanD, float meanDX, float[] dx, int dxo, float[] dw, float[] db) {
        for (int j = from; j < n; j++) {
            float gj = g[go + j];
            float h = (x[xo + j] - mean) * rstd;
            if (dx != null) {
                float d = w == null ? gj : gj * w[j];
                dx[dxo + j] = rstd * (d - meanD - h * meanDX);
            }
            if (dw != null) {
                dw[j] += gj * h;
            }
            if (db != null) {
                db[j] += gj;
            }
        }
    }

    /**
     * GELU-tanh written without tanh: with e = e^{2u} and q = 1/(e + 1), 1 + tanh(u) = 2eq and
     * 1 − tanh(u) = 2q, so y = x·e·q and neither 1 ± tanh cancels in float near the saturated tails.
     * 2u is capped at 80 (tanh(40) is 1 in float) so that e·q never becomes ∞·0.
     */
    @Override
    public void geluTanh(float[] x, int xo, int n, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            double v = x[xo + i];
            double u = SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v);
            double e = Math.exp(Math.min(2 * u, GELU_EXP_CAP));
            y[yo + i] = (float) (v * e / (e + 1));
        }
    }

    /**
     * d/dx = ½(1 + t) + ½x(1 − t²)u' = e·q + 2x·e·q²·u'. x is clamped to ±10 first: beyond it the
     * derivative is 0 or 1 to float precision, and the clamp keeps x³ and u' finite for any input.
     */
    @Override
    public void geluTanhBackward(float[] x, int xo, float[] g, int go, int n, float[] dx, int dxo) {
        for (int i = 0; i < n; i++) {
            double v = Math.max(-GELU_CLAMP, Math.min(GELU_CLAMP, x[xo + i]));
            double u = SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v);
            double e = Math.exp(Math.min(2 * u, GELU_EXP_CAP));
            double q = 1 / (e + 1);
            double du = SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * v * v);
            double eq = e * q;
            dx[dxo + i] = (float) (g[go + i] * (eq + 2 * v * eq * q * du));
        }
    }

    static final float GELU_EXP_CAP = 80f;
    static final float GELU_CLAMP = 10f;

    /** Φ(x), the standard normal CDF, from {@link #erfc}: relative accuracy holds in both tails. */
    static float cdf(float x) {
        float z = x * INV_SQRT_2;
        return x >= 0 ? 1 - 0.5f * erfc(z) : 0.5f * erfc(-z);
    }

    /**
     * erfc(z) for z ≥ 0 by the classic Chebyshev-fitted formula t·exp(−z² + P(t)), t = 1/(1 + z/2),
     * fractional error below 1.2e-7 for every z (Numerical Recipes' {@code erfcc}). The same
     * polynomial is evaluated by the vector version, so both paths agree to rounding.
     */
    static float erfc(float z) {
        float t = 1f / (1f + 0.5f * z);
        float p = ERFC_P[9];
        for (int k = 8; k >= 0; k--) {
            p = p * t + ERFC_P[k];
        }
        return t * (float) Math.exp(-z * z + p);
    }

    /** Coefficients of P(t), lowest order first. */
    static final float[] ERFC_P = {
        -1.26551223f, 1.00002368f, 0.37409196f, 0.09678418f, -0.18628806f,
        0.27886807f, -1.13520398f, 1.48851587f, -0.82215223f, 0.17087277f,
    };

    @Override
    public void gelu(float[] x, int xo, int n, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            y[yo + i] = v * cdf(v);
        }
    }

    @Override
    public void geluBackward(float[] x, int xo, float[] g, int go, int n, float[] dx, int dxo) {
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            float pdf = (float) Math.exp(-0.5f * v * v) * INV_SQRT_2PI;
            dx[dxo + i] = g[go + i] * (cdf(v) + v * pdf);
        }
    }

    static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-v)));
    }

    @Override
    public void swiglu(float[] gate, int gao, float[] up, int uo, int n, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            float v = gate[gao + i];
            y[yo + i] = v * sigmoid(v) * up[uo + i];
        }
    }

    @Override
    public void swigluBackward(float[] gate, int gao, float[] up, int uo, float[] g, int go, int n,
            float[] dGate, int dgo, float[] dUp, int duo) {
        for (int i = 0; i < n; i++) {
            float v = gate[gao + i];
            float s = sigmoid(v);
            float gi = g[go + i];
            if (dGate != null) {
                dGate[dgo + i] = gi * up[uo + i] * s * (1 + v * (1 - s));
            }
            if (dUp != null) {
                dUp[duo + i] = gi * v * s;
            }
        }
    }
}
