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

    /** Σ (a − c)², in order. */
    float sumSquaredDiff(float[] a, int ao, int n, float c) {
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
    public void normRows(float[] x, int xo, int rows, int c, float[] w, float[] b, float eps, boolean rms,
            float[] y, int yo, float[] mean, float[] rstd, int ro) {
        for (int i = 0; i < rows; i++) {
            int o = xo + i * c;
            float m = rms ? 0f : sum(x, o, c) / c;
            float rs = rstd(sumSquaredDiff(x, o, c, m), c, eps);
            if (!rms) {
                mean[ro + i] = m;
            }
            rstd[ro + i] = rs;
            normalizeTail(x, o, c, 0, m, rs, w, b, y, yo + i * c);
        }
    }

    /** 1/√(ssd/c + eps), the root in double: a norm row's rstd from its sum of squared differences. */
    static float rstd(float ssd, int c, float eps) {
        return (float) (1.0 / Math.sqrt(ssd / c + eps));
    }

    /** y = (x − mean)·rstd·w + b (w, b nullable) for columns {@code from..n-1} of one row. */
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

    /*
     * Exact GELU, y = ½x(1 + erf(x/√2)), and its derivative ½ + (½erf(x/√2) + x·φ(x)), from two
     * rational functions of the odd, bounded parts: f(x) ≈ x·P(x²)/Q(x²) for |x| ≤ c, and f's limit
     * (±1, ±½) beyond c, where f is within float rounding of it. One division and two short
     * polynomials per element and no exp: in L1 the vector kernels ran 3.2× (forward) and 3.8×
     * (backward) faster than the erfc-and-exp formula they replaced (0.35 and 0.42 ns per float on
     * the Zen 5 machine). core/src/test/python/fit_gelu_rational.py fits the coefficients (minimax, absolute):
     * erf part 1.4e-8 in float64 and 3.3e-7 evaluated in float32, derivative part 1.4e-7 and 2.9e-7.
     * PyTorch's own CPU kernel (Abramowitz-Stegun 7.1.26 with an exp) is within 1.5e-7 of erf; like
     * it, the negative tail is exact in absolute terms only (y ≈ 0 there, off by ≤ 3e-7·|x|/2).
     */

    /** |x| beyond which erf(x/√2) is ±1 in float32 (1 − erf(5.5/√2) = 3.8e-8). */
    static final float GELU_ERF_CLAMP = 5.5f;
    /** P and Q of erf(x/√2) ≈ x·P(x²)/Q(x²), lowest order first (Q[0] = 1). */
    static final float[] GELU_ERF_P = {
        0.79788446927679568f, 0.067706472031732828f, 0.0093545973678179403f, 0.00033766384900268606f,
        1.2704359690748641e-05f, 4.5498119743969667e-08f,
    };
    static final float[] GELU_ERF_Q = {
        1f, 0.25152339683483221f, 0.028646213741283053f, 0.0018844800753532818f,
        7.3649607906713425e-05f, 1.1974996101705992e-06f,
    };
    /** |x| beyond which gelu'(x) is 0 or 1 in float32. */
    static final float GELU_DERIV_CLAMP = 6f;
    /** P and Q of ½erf(x/√2) + x·φ(x) ≈ x·P(x²)/Q(x²). */
    static final float[] GELU_DERIV_P = {
        0.79788453007844451f, -0.030743455214215495f, 0.01420917232334726f, 2.4184120542349713e-05f,
        3.5850536987283013e-05f, 1.9088453136195671e-07f,
    };
    static final float[] GELU_DERIV_Q = {
        1f, 0.29480567043592698f, 0.041064695651928801f, 0.00352876091071691f,
        0.00019351978818783468f, 8.8874612821990273e-06f,
    };

    /** x·P(x²)/Q(x²) in float64 for |x| ≤ clamp, else ±limit; NaN stays NaN. */
    static double oddRational(double x, float clamp, float limit, float[] p, float[] q) {
        if (x > clamp) {
            return limit;
        }
        if (x < -clamp) {
            return -limit;
        }
        double s = x * x;
        double num = p[p.length - 1];
        for (int k = p.length - 2; k >= 0; k--) {
            num = num * s + p[k];
        }
        double den = q[q.length - 1];
        for (int k = q.length - 2; k >= 0; k--) {
            den = den * s + q[k];
        }
        return x * num / den;
    }

    @Override
    public void gelu(float[] x, int xo, int n, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            double v = x[xo + i];
            double erf = oddRational(v, GELU_ERF_CLAMP, 1f, GELU_ERF_P, GELU_ERF_Q);
            y[yo + i] = (float) (0.5 * v * (1 + erf));
        }
    }

    @Override
    public void geluBackward(float[] x, int xo, float[] g, int go, int n, float[] dx, int dxo) {
        for (int i = 0; i < n; i++) {
            double d = 0.5 + oddRational(x[xo + i], GELU_DERIV_CLAMP, 0.5f, GELU_DERIV_P, GELU_DERIV_Q);
            dx[dxo + i] = (float) (g[go + i] * d);
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
