package dev.tessera.core;

/**
 * Layer norm over rows of a dense (N, C) buffer as plain Java loops: the fused fast path of
 * {@link Normalization#layerNorm}. One pass computes mean and variance, a second writes the
 * output and saves x̂ and 1/σ for the backward (llm.c's layernorm_forward/backward pairing).
 *
 * <p>Performance note: the portable path issues about a dozen ND4J ops (each a full pass over
 * the data plus ~13 µs dispatch); this kernel makes two passes forward and two backward.
 * Statistics accumulate in double so float32 results match the float64 reference closely.
 */
final class LayerNormKernel {
    private LayerNormKernel() {}

    /** Forward, float32. w and b may be null. Fills y, xhat (N·C) and rstd (N). */
    static void forward(float[] x, float[] w, float[] b, int n, int c, double eps, float[] y, float[] xhat, float[] rstd) {
        for (int r = 0; r < n; r++) {
            int o = r * c;
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += x[o + j];
            }
            double mean = sum / c;
            double sq = 0;
            for (int j = 0; j < c; j++) {
                double d = x[o + j] - mean;
                sq += d * d;
            }
            float rs = (float) (1.0 / Math.sqrt(sq / c + eps));
            float m = (float) mean;
            rstd[r] = rs;
            for (int j = 0; j < c; j++) {
                float h = (x[o + j] - m) * rs;
                xhat[o + j] = h;
                float v = w == null ? h : h * w[j];
                y[o + j] = b == null ? v : v + b[j];
            }
        }
    }

    /** Backward, float32: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) with dx̂ = g·w; dw, db summed over rows (may be null). */
    static void backward(float[] g, float[] xhat, float[] rstd, float[] w, int n, int c, float[] dx, float[] dw, float[] db) {
        for (int r = 0; r < n; r++) {
            int o = r * c;
            double sumD = 0;
            double sumDX = 0;
            for (int j = 0; j < c; j++) {
                float d = w == null ? g[o + j] : g[o + j] * w[j];
                sumD += d;
                sumDX += d * xhat[o + j];
            }
            float meanD = (float) (sumD / c);
            float meanDX = (float) (sumDX / c);
            float rs = rstd[r];
            for (int j = 0; j < c; j++) {
                float gj = g[o + j];
                float h = xhat[o + j];
                if (dx != null) {
                    float d = w == null ? gj : gj * w[j];
                    dx[o + j] = rs * (d - meanD - h * meanDX);
                }
                if (dw != null) {
                    dw[j] += gj * h;
                }
                if (db != null) {
                    db[j] += gj;
                }
            }
        }
    }

    /** Forward, float64. */
    static void forward(double[] x, double[] w, double[] b, int n, int c, double eps, double[] y, double[] xhat, double[] rstd) {
        for (int r = 0; r < n; r++) {
            int o = r * c;
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += x[o + j];
            }
            double mean = sum / c;
            double sq = 0;
            for (int j = 0; j < c; j++) {
                double d = x[o + j] - mean;
                sq += d * d;
            }
            double rs = 1.0 / Math.sqrt(sq / c + eps);
            rstd[r] = rs;
            for (int j = 0; j < c; j++) {
                double h = (x[o + j] - mean) * rs;
                xhat[o + j] = h;
                double v = w == null ? h : h * w[j];
                y[o + j] = b == null ? v : v + b[j];
            }
        }
    }

    /** Backward, float64. */
    static void backward(double[] g, double[] xhat, double[] rstd, double[] w, int n, int c, double[] dx, double[] dw, double[] db) {
        for (int r = 0; r < n; r++) {
            int o = r * c;
            double sumD = 0;
            double sumDX = 0;
            for (int j = 0; j < c; j++) {
                double d = w == null ? g[o + j] : g[o + j] * w[j];
                sumD += d;
                sumDX += d * xhat[o + j];
            }
            double meanD = sumD / c;
            double meanDX = sumDX / c;
            double rs = rstd[r];
            for (int j = 0; j < c; j++) {
                double gj = g[o + j];
                double h = xhat[o + j];
                if (dx != null) {
                    double d = w == null ? gj : gj * w[j];
                    dx[o + j] = rs * (d - meanD - h * meanDX);
                }
                if (dw != null) {
                    dw[j] += gj * h;
                }
                if (db != null) {
                    db[j] += gj;
                }
            }
        }
    }
}
