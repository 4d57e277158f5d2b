package dev.tessera.training.loss;

import dev.tessera.host.HostMemory;
import dev.tessera.core.GradMode;
import dev.tessera.core.Tensor;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Softmax cross-entropy as one fused autograd op over a (..., V) logits buffer; the formula is on
 * {@link CrossEntropyOptions}. The result is Σ_valid loss_row / normalizer, so micro-batches of
 * one accumulated step share a normalizer (the step's total valid-token count) and their
 * gradients sum to exactly the gradient of the full batch's mean.
 *
 * <p>Stability: every row is evaluated in float64 as lse = m + log Σ exp(z − m) with m the row
 * maximum, so logits of ±1e4 or ±1e8 and −inf entries give finite values (a −inf logit has
 * probability 0; with label smoothing the loss of a row holding one is +inf, as in PyTorch, but
 * never NaN). A row whose logits are all −inf has loss +inf and zero gradient.
 *
 * <p>Performance: forward writes the probabilities straight into the gradient buffer, so the
 * backward is one scaled pass with no second {@code exp}; rows run in parallel on the common
 * pool (each row is independent and per-row sums are added in row order, so results do not
 * depend on the thread count).
 */
public final class CrossEntropy {
    /** Rows per parallel task: enough work to amortise the fork (~V·64 exps). */
    private static final int ROWS_PER_TASK = 64;

    private CrossEntropy() {}

    /**
     * Mean over valid rows: {@code loss(logits, targets, options, validCount)}.
     *
     * @param logits (..., V) float32 or float64
     * @param targets integer ids with shape logits.shape[:-1], each in [0, V) or the ignore index
     */
    public static LossResult loss(Tensor logits, INDArray targets, CrossEntropyOptions options) {
        return loss(logits, targetsOf(logits, targets), options, 0);
    }

    /**
     * As {@link #loss(Tensor, INDArray, CrossEntropyOptions)} with an explicit normalizer
     * (&gt; 0), e.g. the valid-token count of all micro-batches of an accumulated step.
     */
    public static LossResult loss(Tensor logits, INDArray targets, CrossEntropyOptions options, double normalizer) {
        if (!(normalizer > 0) || Double.isInfinite(normalizer)) {
            throw new IllegalArgumentException("normalizer must be finite and > 0 but was " + normalizer);
        }
        return loss(logits, targetsOf(logits, targets), options, normalizer);
    }

    /** Number of targets that are not {@code ignoreIndex}. */
    public static long countValid(INDArray targets, int ignoreIndex) {
        long n = 0;
        for (int t : dev.tessera.training.Flat.ints(targets)) {
            if (t != ignoreIndex) {
                n++;
            }
        }
        return n;
    }

    private static int[] targetsOf(Tensor logits, INDArray targets) {
        if (logits.rank() < 2) {
            throw new IllegalArgumentException("logits must be (..., V) with rank >= 2 but has shape "
                    + Arrays.toString(logits.shape()));
        }
        if (targets == null || !targets.dataType().isIntType()) {
            throw new IllegalArgumentException("targets must be an integer array but was "
                    + (targets == null ? "null" : targets.dataType()));
        }
        long[] expected = Arrays.copyOf(logits.shape(), logits.rank() - 1);
        if (!Arrays.equals(expected, targets.shape())) {
            throw new IllegalArgumentException("targets must have shape " + Arrays.toString(expected)
                    + " (logits' shape without V) but has " + Arrays.toString(targets.shape()));
        }
        return dev.tessera.training.Flat.ints(targets);
    }

    /** normalizer ≤ 0 means "the number of valid rows" (a loss of 0 with zero gradient when there are none). */
    static LossResult loss(Tensor logits, int[] targets, CrossEntropyOptions options, double normalizer) {
        DataType dt = logits.dtype();
        if (dt != DataType.FLOAT && dt != DataType.DOUBLE) {
            throw new IllegalArgumentException("logits must be FLOAT or DOUBLE but are " + dt);
        }
        int v = (int) logits.size(-1);
        int n = targets.length;
        if ((long) n * v != logits.length()) {
            throw new IllegalArgumentException("targets must have " + logits.length() / v + " entries but have " + n);
        }
        int ignore = options.ignoreIndex();
        long valid = 0;
        for (int i = 0; i < n; i++) {
            int t = targets[i];
            if (t == ignore) {
                continue;
            }
            if (t < 0 || t >= v) {
                throw new IllegalArgumentException("targets[" + i + "] must be in [0, " + v + ") or the ignore index "
                        + ignore + " but was " + t);
            }
            valid++;
        }
        double norm = normalizer > 0 ? normalizer : Math.max(1, valid);
        INDArray z = HostMemory.dense(logits.data());
        boolean keepProbs = GradMode.isEnabled() && logits.requiresGrad();
        INDArray probs = keepProbs ? Nd4j.createUninitialized(dt, logits.shape()) : null; // (..., V)
        double eps = options.labelSmoothing();
        double zl = options.zLoss();
        double[] rowLoss = new double[n];
        double[] rowNll = new double[n];
        double[] lse = new double[n];
        boolean[] rowCorrect = new boolean[n];
        RowAccess in = new RowAccess(z, v);
        RowAccess out = keepProbs ? new RowAccess(probs, v) : null;
        int tasks = (n + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        IntStream.range(0, tasks).parallel().forEach(task -> {
            double[] row = new double[v];
            float[] scratch = new float[v];
            int end = Math.min(n, (task + 1) * ROWS_PER_TASK);
            for (int i = task * ROWS_PER_TASK; i < end; i++) {
                int t = targets[i];
                if (t == ignore) {
                    if (out != null) {
                        Arrays.fill(row, 0.0);
                        out.write(i, row, scratch);
                    }
                    continue;
                }
                in.read(i, row, scratch);
                double m = Double.NEGATIVE_INFINITY;
                int argmax = 0;
                double sumZ = 0;
                for (int k = 0; k < v; k++) {
                    double x = row[k];
                    if (x > m) {
                        m = x;
                        argmax = k;
                    }
                    sumZ += x;
                }
                rowCorrect[i] = argmax == t;
                if (m == Double.NEGATIVE_INFINITY) {
                    lse[i] = Double.NEGATIVE_INFINITY;
                    rowLoss[i] = Double.POSITIVE_INFINITY;
                    rowNll[i] = Double.POSITIVE_INFINITY;
                    if (out != null) {
                        Arrays.fill(row, 0.0);
                        out.write(i, row, scratch);
                    }
                    continue;
                }
                double zy = row[t];
                double s = 0;
                for (int k = 0; k < v; k++) {
                    double e = Math.exp(row[k] - m);
                    s += e;
                    row[k] = e; // reuse the row for unnormalised probabilities
                }
                double l = m + Math.log(s);
                lse[i] = l;
                double nll = l - zy;
                rowNll[i] = nll;
                double loss = (1 - eps) * nll;
                if (eps > 0) {
                    // Σ_v (lse − z_v) = V·lse − Σ z_v; +inf when some z_v = −inf (PyTorch gives +inf too)
                    loss += eps / v * (v * l - sumZ);
                }
                if (zl > 0) {
                    loss += zl * l * l;
                }
                rowLoss[i] = loss;
                if (out != null) {
                    double inv = 1 / s;
                    for (int k = 0; k < v; k++) {
                        row[k] *= inv;
                    }
                    out.write(i, row, scratch);
                }
            }
        });
        double total = 0;
        double nllSum = 0;
        long correct = 0;
        for (int i = 0; i < n; i++) {
            if (targets[i] != ignore) {
                total += rowLoss[i];
                nllSum += rowNll[i];
                correct += rowCorrect[i] ? 1 : 0;
            }
        }
        INDArray value = Nd4j.scalar(dt, total / norm);
        Tensor loss = Tensor.fromOp("crossEntropy", value,
                g -> logits.accumulateGradOwned(backward(probs, targets, lse, ignore, eps, zl, v, g.getDouble(0) / norm)),
                logits);
        return new LossResult(loss, nllSum, valid, correct);
    }

    /**
     * dL/dz_v = scale · (p_v·(1 + 2λ_z·lse) − (1 − ε)·[v = y] − ε/V) on valid rows, 0 on ignored
     * rows; turns the saved probabilities into the gradient in place.
     */
    private static INDArray backward(INDArray probs, int[] targets, double[] lse, int ignore, double eps, double zl,
            int v, double scale) {
        int n = targets.length;
        RowAccess io = new RowAccess(probs, v);
        int tasks = (n + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        IntStream.range(0, tasks).parallel().forEach(task -> {
            double[] row = new double[v];
            float[] scratch = new float[v];
            int end = Math.min(n, (task + 1) * ROWS_PER_TASK);
            for (int i = task * ROWS_PER_TASK; i < end; i++) {
                int t = targets[i];
                if (t == ignore || lse[i] == Double.NEGATIVE_INFINITY) {
                    continue; // already zero
                }
                io.read(i, row, scratch);
                double pScale = scale * (1 + 2 * zl * lse[i]);
                double uniform = scale * eps / v;
                for (int k = 0; k < v; k++) {
                    row[k] = row[k] * pScale - uniform;
                }
                row[t] -= scale * (1 - eps);
                io.write(i, row, scratch);
            }
        });
        return probs;
    }
}
