package dev.tessera.training.loss;

import dev.tessera.core.GradMode;
import dev.tessera.core.Require;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import dev.tessera.training.Flat;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Softmax cross-entropy as one autograd op over a (..., V) logits buffer; the formula is on
 * {@link CrossEntropyOptions}. The result is Σ_valid loss_row / normalizer, so micro-batches of
 * one accumulated step share a normalizer (the step's total valid-token count) and their
 * gradients sum to exactly the gradient of the full batch's mean.
 *
 * <p>Stability: with m the row maximum and s = Σ exp(z − m), a row's NLL is computed as
 * (m − z_y) + log s, never as (m + log s) − z_y: for large logits m + log s rounds to m and the
 * loss of a tie at 1e16 or of [3e38, 3e38, …] would come out 0 instead of PyTorch's log 2 or
 * log V. Logits of ±1e4 or ±1e8 and −inf entries give finite values (a −inf logit has
 * probability 0; with label smoothing the loss of a row holding one is +inf, as in PyTorch, but
 * never NaN). A row whose logits are all −inf has loss +inf and zero gradient.
 *
 * <p>Two paths compute the same values: float32 logits on ND4J's CPU backend run
 * {@link FusedCrossEntropy} (one pass per row over the logits' own memory, rows in parallel,
 * the probabilities written straight into the gradient buffer so the backward is one scaled pass
 * with no second {@code exp}); float64 logits, other backends and {@code tessera.kernels=portable}
 * run {@link PortableCrossEntropy}, built from ND4J ops only. Per-row sums are added in row
 * order, so results do not depend on the thread count.
 */
public final class CrossEntropy {
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
        Require.positive("normalizer", normalizer);
        return loss(logits, targetsOf(logits, targets), options, normalizer);
    }

    /** Number of targets that are not {@code ignoreIndex}. */
    public static long countValid(INDArray targets, int ignoreIndex) {
        long n = 0;
        for (int t : Flat.ints(targets)) {
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
        return Flat.ints(targets);
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
        INDArray z = HostMemory.dense(logits.data()); // (..., V), row-major: (N, V)
        boolean keepProbs = GradMode.isEnabled() && logits.requiresGrad();
        boolean fused = dt == DataType.FLOAT && HostMemory.available();
        Rows rows = fused ? FusedCrossEntropy.forward(z, v, targets, options, keepProbs)
                : PortableCrossEntropy.forward(z.reshape('c', n, v), targets, options, keepProbs);
        double total = 0;
        double nllSum = 0;
        long correct = 0;
        for (int i = 0; i < n; i++) {
            if (targets[i] != ignore) {
                total += rows.loss[i];
                nllSum += rows.nll[i];
                correct += rows.correct[i] ? 1 : 0;
            }
        }
        INDArray value = Nd4j.scalar(dt, total / norm);
        long[] shape = logits.shape();
        Tensor loss = Tensor.fromOp("crossEntropy", value, g -> {
            double scale = g.getDouble(0) / norm;
            INDArray grad = fused ? FusedCrossEntropy.backward(rows, targets, options, scale)
                    : PortableCrossEntropy.backward(rows, targets, options, scale);
            logits.accumulateGradOwned(grad.reshape('c', shape));
        }, logits);
        return new LossResult(loss, nllSum, valid, correct);
    }

    /**
     * What a forward pass leaves for the totals and the backward, one entry per row (float64):
     * the row's loss, its plain NLL (m − z_y) + log s, its log-sum-exp m + log s (−∞ for a row
     * of −∞ logits), whether its arg-max is the target, and the (N, V) softmax probabilities
     * (null when no gradient is wanted), which the backward turns into the gradient in place.
     */
    static final class Rows {
        final double[] loss;
        final double[] nll;
        final double[] lse;
        final boolean[] correct;
        final INDArray probs; // (N, V) or null

        Rows(int n, INDArray probs) {
            this.loss = new double[n];
            this.nll = new double[n];
            this.lse = new double[n];
            this.correct = new boolean[n];
            this.probs = probs;
        }
    }
}
