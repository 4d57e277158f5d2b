package dev.tessera.training.loss;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The float32 cross-entropy kernel of {@link CrossEntropy} on ND4J's CPU backend: one pass per row
 * over the logits' own memory (max and arg-max, then exp, sum and the probabilities written into
 * the gradient buffer), and a backward that scales those probabilities in place. Rows are
 * independent and run in parallel; {@link PortableCrossEntropy} computes the same values with ND4J
 * ops and is what this kernel is tested against.
 *
 * <p>Performance notes: each row is moved between native memory and a per-task {@code float[]}
 * with one bulk buffer read or write (a memcpy), so the loops run over a Java array (bounds checks
 * hoisted, the max and scale loops vectorised by C2) and no whole-tensor copy is made; the
 * row's sums are float64 (a float sum over V = 32768 terms would lose about 3 digits).
 */
final class FusedCrossEntropy {
    /** Below this many logits the fork costs more than it saves. */
    private static final long PARALLEL_MIN_ELEMENTS = 32_768;

    private FusedCrossEntropy() {}

    private static FloatBuffer buffer(INDArray dense) {
        return dense.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** A row loop over rows [start, end) with a per-task row buffer of V floats. */
    private interface RowTask {
        void run(int start, int end, float[] row);
    }

    private static void parallelRows(int n, int v, RowTask task) {
        int tasks = Math.min(n, 4 * Runtime.getRuntime().availableProcessors());
        if (tasks <= 1 || (long) n * v < PARALLEL_MIN_ELEMENTS) {
            task.run(0, n, new float[v]);
            return;
        }
        int per = (n + tasks - 1) / tasks;
        IntStream.range(0, tasks).parallel().forEach(t -> {
            int start = t * per;
            int end = Math.min(n, start + per);
            if (start < end) {
                task.run(start, end, new float[v]);
            }
        });
    }

    /**
     * Per-row loss, NLL, log-sum-exp and arg-max match, and (when {@code keepProbs}) the softmax
     * probabilities in a new (N, V) float32 array.
     *
     * @param z (N, V) dense float32 logits, C order, offset 0
     */
    static CrossEntropy.Rows forward(INDArray z, int[] targets, CrossEntropyOptions options, boolean keepProbs) {
        int n = targets.length;
        int v = Math.toIntExact(z.size(1));
        INDArray probs = keepProbs ? Nd4j.createUninitialized(DataType.FLOAT, n, v) : null; // (N, V)
        CrossEntropy.Rows rows = new CrossEntropy.Rows(n, probs);
        FloatBuffer in = buffer(z);
        FloatBuffer out = keepProbs ? buffer(probs) : null;
        int ignore = options.ignoreIndex();
        double eps = options.labelSmoothing();
        double zl = options.zLoss();
        parallelRows(n, v, (start, end, row) -> {
            for (int i = start; i < end; i++) {
                int t = targets[i];
                int base = i * v;
                if (t == ignore) {
                    if (out != null) {
                        java.util.Arrays.fill(row, 0f);
                        out.put(base, row, 0, v);
                    }
                    continue;
                }
                in.get(base, row, 0, v);
                float m = Float.NEGATIVE_INFINITY;
                int argmax = 0;
                for (int k = 0; k < v; k++) {
                    if (row[k] > m) {
                        m = row[k];
                        argmax = k;
                    }
                }
                rows.correct[i] = argmax == t;
                if (m == Float.NEGATIVE_INFINITY) {
                    rows.lse[i] = Double.NEGATIVE_INFINITY;
                    rows.loss[i] = Double.POSITIVE_INFINITY;
                    rows.nll[i] = Double.POSITIVE_INFINITY;
                    if (out != null) {
                        java.util.Arrays.fill(row, 0f);
                        out.put(base, row, 0, v);
                    }
                    continue;
                }
                double zy = row[t];
                double shiftSum = 0; // Σ (z − m) in float64 (z − m may overflow float), for label smoothing
                if (eps > 0) {
                    for (int k = 0; k < v; k++) {
                        shiftSum += (double) row[k] - m;
                    }
                }
                double s = 0;
                for (int k = 0; k < v; k++) {
                    // z − m ≤ 0 in float: an overflow to −∞ only where exp underflows to 0 anyway
                    float e = (float) Math.exp(row[k] - m);
                    s += e;
                    row[k] = e; // reuse the row for unnormalised probabilities
                }
                double logS = Math.log(s);
                double nll = (m - zy) + logS;
                double lse = m + logS;
                rows.lse[i] = lse;
                rows.nll[i] = nll;
                double loss = (1 - eps) * nll;
                if (eps > 0) {
                    // Σ_v (lse − z_v) = V·log s − Σ_v (z_v − m); +inf when some z_v = −inf (PyTorch gives +inf too)
                    loss += eps / v * (v * logS - shiftSum);
                }
                if (zl > 0) {
                    loss += zl * lse * lse;
                }
                rows.loss[i] = loss;
                if (out != null) {
                    float inv = (float) (1 / s);
                    for (int k = 0; k < v; k++) {
                        row[k] *= inv;
                    }
                    out.put(base, row, 0, v);
                }
            }
        });
        return rows;
    }

    /**
     * dL/dz_v = scale · (p_v·(1 + 2λ_z·lse) − (1 − ε)·[v = y] − ε/V) on valid rows, 0 on ignored
     * rows; turns the saved probabilities into the gradient in place and returns them.
     */
    static INDArray backward(CrossEntropy.Rows rows, int[] targets, CrossEntropyOptions options, double scale) {
        INDArray probs = rows.probs;
        int n = targets.length;
        int v = Math.toIntExact(probs.size(1));
        FloatBuffer io = buffer(probs);
        int ignore = options.ignoreIndex();
        double eps = options.labelSmoothing();
        double zl = options.zLoss();
        parallelRows(n, v, (start, end, row) -> {
            for (int i = start; i < end; i++) {
                int t = targets[i];
                if (t == ignore || rows.lse[i] == Double.NEGATIVE_INFINITY) {
                    continue; // already zero
                }
                int base = i * v;
                io.get(base, row, 0, v);
                float pScale = (float) (scale * (1 + 2 * zl * rows.lse[i]));
                float uniform = (float) (scale * eps / v);
                for (int k = 0; k < v; k++) {
                    row[k] = row[k] * pScale - uniform;
                }
                row[t] -= (float) (scale * (1 - eps));
                io.put(base, row, 0, v);
            }
        });
        return probs;
    }
}
