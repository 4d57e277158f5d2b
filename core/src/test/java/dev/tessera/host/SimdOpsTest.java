package dev.tessera.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Each {@link SimdOps} primitive, vector and scalar, against a float64 formula, on sizes that are and
 * are not multiples of the vector length, at offsets, and on the special values kernels rely on.
 */
class SimdOpsTest {
    // 2500: more than two 1024-float chunks, and a tail
    private static final int[] SIZES = {0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 257, 1000, 2500};
    private static final int OFF = 5;

    private static SimdOps[] impls() {
        return Simd.vectorized() ? new SimdOps[] {Simd.ops(), Simd.scalar()} : new SimdOps[] {Simd.scalar()};
    }

    private static float[] gaussian(int n, long seed, double scale) {
        Random r = new Random(seed);
        float[] a = new float[n + 2 * OFF];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    private static void close(String what, double expected, double actual, double rel) {
        double tol = rel * Math.max(1, Math.abs(expected));
        assertTrue(Math.abs(expected - actual) <= tol, what + ": expected " + expected + " got " + actual);
    }

    @Test
    void vectorImplementationIsChosenExactlyWhenTheModuleIsPresent() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        boolean off = "off".equalsIgnoreCase(System.getProperty(Simd.PROPERTY));
        assertEquals(module && !off, Simd.vectorized(), Simd.description());
    }

    @Test
    void reductionsMatchFloat64() {
        for (SimdOps ops : impls()) {
            for (int n : SIZES) {
                float[] a = gaussian(n, n, 3);
                float[] b = gaussian(n, n + 100, 2);
                double sum = 0, dot = 0, max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) {
                    sum += a[OFF + i];
                    dot += (double) a[OFF + i] * b[OFF + i];
                    max = Math.max(max, a[OFF + i]);
                }
                String w = ops.getClass().getSimpleName() + " n=" + n;
                close(w + " sum", sum, ops.sum(a, OFF, n), 1e-5 * Math.sqrt(n + 1));
                close(w + " dot", dot, ops.dot(a, OFF, b, OFF, n), 1e-5 * Math.sqrt(n + 1));
                assertEquals((float) max, ops.max(a, OFF, n), w + " max");
            }
        }
    }

    @Test
    void expShiftMatchesFloat64AndMapsMinusInfinityToZero() {
        for (SimdOps ops : impls()) {
            for (int n : SIZES) {
                float[] a = gaussian(n, n, 30);
                if (n > 2) {
                    a[OFF + 1] = Float.NEGATIVE_INFINITY;
                    a[OFF + n - 1] = -200f;
                }
                float[] out = new float[n + 2 * OFF];
                float s = ops.expShift(a, OFF, n, 20f, out, OFF);
                double ref = 0;
                for (int i = 0; i < n; i++) {
                    double e = Math.exp(a[OFF + i] - 20f); // the kernel subtracts in float
                    ref += e;
                    double rel = e < 1.2e-38 ? 0 : 4e-7; // below float's normal range both flush to ~0
                    assertTrue(Math.abs(out[OFF + i] - e) <= rel * e + 1.2e-38,
                            ops.getClass().getSimpleName() + " exp(" + a[OFF + i] + " - 20) = " + out[OFF + i] + " want " + e);
                }
                close("sum", ref, s, 1e-5 * Math.sqrt(n + 1));
                if (n > 2) {
                    assertEquals(0f, out[OFF + 1], "exp(-inf) must be exactly 0");
                }
            }
        }
    }

    @Test
    void expCoversTheWholeFloatRange() {
        for (SimdOps ops : impls()) {
            float[] a = new float[64];
            for (int i = 0; i < a.length; i++) {
                a[i] = -100f + i * (190f / 63); // −100 … 90, past both ends of float's exp range
            }
            float[] out = new float[64];
            ops.expShift(a, 0, 64, 0f, out, 0);
            for (int i = 0; i < a.length; i++) {
                double e = Math.exp(a[i]);
                if (e > Float.MAX_VALUE) {
                    assertEquals(Float.POSITIVE_INFINITY, out[i], "exp(" + a[i] + ")");
                } else if (e >= Float.MIN_NORMAL) {
                    assertTrue(Math.abs(out[i] - e) <= 2e-6 * e, "exp(" + a[i] + ") = " + out[i] + " want " + e);
                } else {
                    assertTrue(out[i] >= 0 && out[i] < 2 * Float.MIN_NORMAL, "exp(" + a[i] + ") = " + out[i]);
                }
            }
            float[] nan = {Float.NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
            ops.expShift(nan, 0, nan.length, 0f, out, 0);
            assertTrue(Float.isNaN(out[0]), "exp(NaN) must stay NaN");
        }
    }

    @Test
    void elementwiseUpdatesMatch() {
        for (SimdOps ops : impls()) {
            for (int n : SIZES) {
                float[] x = gaussian(n, n, 1);
                float[] y = gaussian(n, n + 7, 1);
                float[] axpy = y.clone();
                ops.axpy(0.5f, x, OFF, axpy, OFF, n);
                float[] add = y.clone();
                ops.add(x, OFF, add, OFF, n);
                float[] scaled = x.clone();
                ops.scale(scaled, OFF, n, -3f);
                for (int i = 0; i < y.length; i++) {
                    boolean in = i >= OFF && i < OFF + n;
                    assertEquals(in ? y[i] + 0.5f * x[i] : y[i], axpy[i], 1e-6f, "axpy " + i);
                    assertEquals(in ? y[i] + x[i] : y[i], add[i], 1e-6f, "add " + i);
                    assertEquals(in ? -3f * x[i] : x[i], scaled[i], 1e-6f, "scale " + i);
                }
            }
        }
    }

    /** tanh-GELU, exact GELU and SwiGLU, forward and backward, against float64 formulas. */
    @Test
    void activationsMatchFloat64() {
        for (SimdOps ops : impls()) {
            for (int n : SIZES) {
                float[] x = gaussian(n, n, 3);
                float[] up = gaussian(n, n + 1, 1);
                float[] g = gaussian(n, n + 2, 1);
                if (n > 3) {
                    x[OFF] = 12f; // saturated tails
                    x[OFF + 1] = -12f;
                    x[OFF + 2] = 0f;
                }
                float[] y = new float[x.length];
                float[] dx = new float[x.length];
                float[] dUp = new float[x.length];
                String w = ops.getClass().getSimpleName() + " n=" + n;
                ops.geluTanh(x, OFF, n, y, OFF);
                ops.geluTanhBackward(x, OFF, g, OFF, n, dx, OFF);
                for (int i = OFF; i < OFF + n; i++) {
                    double v = x[i];
                    double t = Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v));
                    double dt = (1 - t * t) * Math.sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * v * v);
                    close(w + " geluTanh(" + v + ")", 0.5 * v * (1 + t), y[i], 2e-6);
                    close(w + " geluTanh'(" + v + ")", g[i] * (0.5 * (1 + t) + 0.5 * v * dt), dx[i], 2e-6);
                }
                ops.gelu(x, OFF, n, y, OFF);
                ops.geluBackward(x, OFF, g, OFF, n, dx, OFF);
                for (int i = OFF; i < OFF + n; i++) {
                    double v = x[i];
                    double cdf = 0.5 * erfc(-v / Math.sqrt(2));
                    double pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
                    close(w + " gelu(" + v + ")", v * cdf, y[i], 2e-6);
                    close(w + " gelu'(" + v + ")", g[i] * (cdf + v * pdf), dx[i], 2e-6);
                }
                ops.swiglu(x, OFF, up, OFF, n, y, OFF);
                ops.swigluBackward(x, OFF, up, OFF, g, OFF, n, dx, OFF, dUp, OFF);
                for (int i = OFF; i < OFF + n; i++) {
                    double v = x[i];
                    double s = 1 / (1 + Math.exp(-v));
                    close(w + " swiglu", v * s * up[i], y[i], 2e-6);
                    close(w + " swiglu dGate", g[i] * up[i] * s * (1 + v * (1 - s)), dx[i], 2e-6);
                    close(w + " swiglu dUp", g[i] * v * s, dUp[i], 2e-6);
                }
            }
        }
    }

    /**
     * Exact GELU and its derivative on a dense grid over [−8, 8] (every 1/1024, so both clamps and the
     * whole fitted range are covered), against float64: the stated bounds are 3.3e-7 for erf and
     * 2.9e-7 for the derivative (absolute), so |Δy| ≤ 1.7e-7·|x| + rounding and |Δgelu'| ≤ 3e-7 + rounding.
     * Beyond the clamps the outputs are the limits: y = x above, y = 0 below, gelu' = 1 and 0.
     */
    @Test
    void exactGeluMeetsItsStatedBoundOnADenseGrid() {
        int n = 16 * 1024 + 1;
        float[] x = new float[n];
        float[] ones = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -8f + i / 1024f;
            ones[i] = 1f;
        }
        for (SimdOps ops : impls()) {
            float[] y = new float[n];
            float[] d = new float[n];
            ops.gelu(x, 0, n, y, 0);
            ops.geluBackward(x, 0, ones, 0, n, d, 0);
            double worstY = 0, worstD = 0;
            for (int i = 0; i < n; i++) {
                double v = x[i];
                double cdf = 0.5 * erfc(-v / Math.sqrt(2));
                double pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
                double ey = Math.abs(y[i] - v * cdf) / Math.max(1, Math.abs(v));
                double ed = Math.abs(d[i] - (cdf + v * pdf));
                worstY = Math.max(worstY, ey);
                worstD = Math.max(worstD, ed);
                assertTrue(ey <= 2.5e-7, ops.getClass().getSimpleName() + " gelu(" + v + ") = " + y[i] + ", float64 " + v * cdf);
                assertTrue(ed <= 4e-7, ops.getClass().getSimpleName() + " gelu'(" + v + ") = " + d[i] + ", float64 " + (cdf + v * pdf));
            }
            assertTrue(worstY > 0 && worstD > 0, "the grid must reach the approximation's error");
        }
    }

    @Test
    void exactGeluSpecialValues() {
        float[] x = {0f, -0f, 6.5f, -6.5f, 7f, -7f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NaN};
        // Padded to more than a vector so that the vector loop, not only its scalar tail, sees them.
        int n = 64;
        float[] xs = new float[n];
        float[] ones = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = x[i % x.length];
            ones[i] = 1f;
        }
        for (SimdOps ops : impls()) {
            String w = ops.getClass().getSimpleName();
            float[] y = new float[n];
            float[] d = new float[n];
            ops.gelu(xs, 0, n, y, 0);
            ops.geluBackward(xs, 0, ones, 0, n, d, 0);
            for (int i = 0; i < n; i++) {
                float v = xs[i];
                if (Float.isNaN(v)) {
                    assertTrue(Float.isNaN(y[i]) && Float.isNaN(d[i]), w + ": NaN in, NaN out");
                } else if (v > 6f) {
                    assertEquals(v, y[i], 0f, w + " gelu(" + v + ")");
                    assertEquals(1f, d[i], 0f, w + " gelu'(" + v + ")");
                } else if (v < -6f) {
                    assertEquals(0f, y[i], 0f, w + " gelu(" + v + ")"); // not ±∞·0: no huge garbage in the tail
                    assertEquals(0f, d[i], 0f, w + " gelu'(" + v + ")");
                } else {
                    assertEquals(0f, y[i], 0f, w + " gelu(0)");
                    assertEquals(0.5f, d[i], 1e-7f, w + " gelu'(0)");
                }
            }
        }
    }

    /** erfc in float64 to ~1e-15 (continued fraction / series), the test's own reference. */
    static double erfc(double x) {
        if (x < 0) {
            return 2 - erfc(-x);
        }
        if (x < 3) { // 1 − erf by its Taylor series
            double sum = 0, term = x;
            for (int k = 0; k < 200; k++) {
                sum += term / (2 * k + 1);
                term *= -x * x / (k + 1);
            }
            return 1 - 2 / Math.sqrt(Math.PI) * sum;
        }
        double f = 0; // continued fraction, Lentz-free backward evaluation
        for (int k = 60; k >= 1; k--) {
            f = k / 2.0 / (x + f);
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f);
    }

    /**
     * The norm forward's rows against float64: mean, rstd and y, layer and RMS norm, with w and b,
     * w only and neither, out of place and in place, on row counts with a pair and a single row.
     */
    @Test
    void normRowsForwardMatchesFloat64() {
        float eps = 1e-5f;
        for (SimdOps ops : impls()) {
            for (int c : SIZES) {
                if (c == 0) {
                    continue;
                }
                int rows = 3;
                float[] x = gaussian(rows * c, c, 2);
                for (int i = OFF; i < OFF + rows * c; i++) {
                    x[i] += 3f; // a mean far from 0, so that subtracting it matters
                }
                float[] w = gaussian(c, c + 4, 1); // indexed from 0
                float[] b = gaussian(c, c + 5, 1);
                for (boolean rms : new boolean[] {false, true}) {
                    for (int affine = 0; affine < 3; affine++) {
                        float[] wk = affine < 2 ? w : null;
                        float[] bk = affine == 0 ? b : null;
                        for (boolean inPlace : new boolean[] {false, true}) {
                            float[] y = inPlace ? x.clone() : new float[x.length];
                            float[] mean = rms ? null : new float[rows + 1];
                            float[] rstd = new float[rows + 1];
                            ops.normRows(inPlace ? y : x, OFF, rows, c, wk, bk, eps, rms, y, OFF, mean, rstd, 1);
                            String what = ops.getClass().getSimpleName() + (rms ? " rms" : " layer") + " c=" + c
                                    + " affine=" + affine + (inPlace ? " in place" : "");
                            for (int r = 0; r < rows; r++) {
                                int o = OFF + r * c;
                                double m = 0;
                                if (!rms) {
                                    for (int j = 0; j < c; j++) {
                                        m += x[o + j];
                                    }
                                    m /= c;
                                    close(what + " mean", m, mean[1 + r], 1e-5 * Math.sqrt(c));
                                }
                                double v = 0;
                                for (int j = 0; j < c; j++) {
                                    v += (x[o + j] - m) * (x[o + j] - m);
                                }
                                double rs = 1 / Math.sqrt(v / c + eps);
                                close(what + " rstd", rs, rstd[1 + r], 1e-5);
                                for (int j = 0; j < c; j++) {
                                    double h = (x[o + j] - m) * rs;
                                    double e = (wk == null ? h : h * wk[j]) + (bk == null ? 0 : bk[j]);
                                    assertEquals(e, y[o + j], 2e-5 * (1 + Math.abs(e)), what + " y[" + r + "][" + j + "]");
                                }
                            }
                            assertEquals(0f, rstd[0], what + ": rstd outside [ro, ro + rows) untouched");
                        }
                    }
                }
            }
        }
    }

    @Test
    void normBackwardRowsMatchFloat64() {
        for (SimdOps ops : impls()) {
            for (int n : SIZES) {
                if (n == 0) {
                    continue;
                }
                float[] x = gaussian(n, n, 2);
                float[] g = gaussian(n, n + 3, 1);
                float[] w = gaussian(n, n + 4, 1); // indexed from 0
                float mean = 0.3f;
                float rstd = 1.7f;
                float[] sums = new float[2];
                ops.normBackwardSums(g, OFF, x, OFF, n, mean, rstd, w, sums);
                double sumD = 0, sumDX = 0;
                for (int j = 0; j < n; j++) {
                    double h = (x[OFF + j] - (double) mean) * rstd;
                    double d = (double) g[OFF + j] * w[j];
                    sumD += d;
                    sumDX += d * h;
                }
                close("sumD", sumD, sums[0], 1e-5 * Math.sqrt(n));
                close("sumDX", sumDX, sums[1], 1e-5 * Math.sqrt(n));
                float[] dx = new float[x.length];
                float[] dw = new float[n];
                float[] db = new float[n];
                ops.normBackward(g, OFF, x, OFF, n, mean, rstd, w, 0.1f, -0.2f, dx, OFF, dw, db);
                for (int j = 0; j < n; j++) {
                    double h = (x[OFF + j] - (double) mean) * rstd;
                    double d = (double) g[OFF + j] * w[j];
                    close("dx", rstd * (d - 0.1 + 0.2 * h), dx[OFF + j], 2e-6);
                    close("dw", g[OFF + j] * h, dw[j], 2e-6);
                    close("db", g[OFF + j], db[j], 0);
                }
            }
        }
    }
}
