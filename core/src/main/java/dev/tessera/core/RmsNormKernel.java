package dev.tessera.core;

/**
 * RMS norm over rows of a dense (N, C) buffer as plain Java loops: the fused fast path of
 * {@link Normalization#rmsNorm}. Forward: one pass for Σx², one writing y and saving x̂ and
 * 1/rms; backward: one pass for Σ(g·w·x̂), one writing dx and accumulating dw.
 *
 * <p>Performance note: the portable path issues six ND4J ops forward and about seven backward,
 * each a full pass over the (N, C) data; this kernel makes two passes each way, the same
 * pairing as {@link LayerNormKernel}. Sums accumulate in double so float32 results match the
 * float64 reference closely.
 */
final class RmsNormKernel {
    private RmsNormKernel() {}

    /** Forward, float32. w may be null. Fills y, xhat (N·C) and rstd (N). */
    static void forward(float[] x, float[] w, int n, int c, double eps, float[] y, float[] xhat, float[] rstd) {
        for (int r = 0; r < n; r++) {
            int o = r * c;
            double sq = 0;
            for (int j = 0; j < c; j++) {
                double v = x[o + j];
                sq += v * v;
            }
            float rs = (float) (1.0 / Math.sqrt(sq / c + eps));
            rstd[r] = rs;
            for (int j = 0; j < c; j++) {
                float h = x[o + j] * rs;
                xhat[o + j] = h;
                y[o + j] = w == null ? h : h * w[j];
            }
        }
    }

    /** Backward, float32: dx = rstd·(dx̂ − x̂·mean(dx̂·x̂)) with dx̂ = g·w; dw summed over rows. dx, dw may be null. */
    static void backward(float[] g, float[] xhat, float[] rstd, float[] w, int n, int c, float[] dx, float[] dw) {
        for (int r = 0; r < n; r++) {
            int o = r * c;
            float rs = rstd[r];
            if (dx != null) {
                double sumDX = 0;
                for (int j = 0; j < c; j++) {
                    float d = w == null ? g[o + j] : g[o + j] * w[j];
                    sumDX += d * xhat[o + j];
                }
                float meanDX = (float) (sumDX / c);
                for (int j = 0; j < c; j++) {
                    float d = w == null ? g[o + j] : g[o + j] * w[j];
                    dx[o + j] = rs * (d - xhat[o + j] * meanDX);
                }
            }
            if (dw != null) {
                for (int j = 0; j < c; j++) {
                    dw[j] += g[o + j] * xhat[o + j];
                }
            }
        }
    }

    /** Forward, float64. */
    static void forward(double[] x, double[] w, int n, int c, double eps, double[] y, double[] xhat, double[] rstd) {
        for (int r = 0; r < n; r++) {
            int o = r * c;
            double sq = 0;
            for (int j = 0; j < c; j++) {
                sq += x[o + j] * x[o + j];
            }
            double rs = 1.0 / Math.sqrt(sq / c + eps);
            rstd[r] = rs;
            for (int j = 0; j < c; j++) {
                double h = x[o + j] * rs;
                xhat[o + j] = h;
                y[o + j] = w == null ? h : h * w[j];
            }
        }
    }

    /** Backward, float64. */
    static void backward(double[] g, double[] xhat, double[] rstd, double[] w, int n, int c, double[] dx, double[] dw) {
        for (int r = 0; r < n; r++) {
            int o = r * c;
            double rs = rstd[r];
            if (dx != null) {
                double sumDX = 0;
                for (int j = 0; j < c; j++) {
                    double d = w == null ? g[o + j] : g[o + j] * w[j];
                    sumDX += d * xhat[o + j];
                }
                double meanDX = sumDX / c;
                for (int j = 0; j < c; j++) {
                    double d = w == null ? g[o + j] : g[o + j] * w[j];
                    dx[o + j] = rs * (d - xhat[o + j] * meanDX);
                }
            }
            if (dw != null) {
                for (int j = 0; j < c; j++) {
                    dw[j] += g[o + j] * xhat[o + j];
                }
            }
        }
    }
}
