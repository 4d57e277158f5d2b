package dev.tessera.rlhf.math;

import dev.tessera.core.Indexing;
import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Reductions over the valid (mask = 1) elements of a tensor, differentiable, with defined
 * results when few or no elements are valid. A mask has exactly x's shape and dtype and holds
 * only 0 and 1; masked-out elements never reach the result, not even a NaN they might hold.
 *
 * <p>With n = Σ mask:
 * <ul>
 *   <li>{@link #sum}: Σ x·m (0 when n = 0)</li>
 *   <li>{@link #mean}: Σ x·m / n, and 0 when n = 0 (never 0/0)</li>
 *   <li>{@link #variance}: Σ m·(x − mean)² / (n − 1) (Bessel-corrected, as TRL), and 0 when n &lt; 2</li>
 *   <li>{@link #whiten}: m·(x − mean) / √(var + 1e-8), plus mean when the mean is kept</li>
 * </ul>
 */
public final class Masked {
    /** Added to the variance before the square root in {@link #whiten} (TRL's 1e-8). */
    public static final double WHITEN_EPS = 1e-8;

    private Masked() {}

    /** x where mask = 1, exactly 0 elsewhere (so NaN/Inf in padding cannot leak into sums). */
    public static Tensor zeroMasked(Tensor x, Tensor mask) {
        Masks.check("zeroMasked", x, mask);
        return Indexing.where(mask, x, Tensor.zeros(x.dtype(), x.shape()));
    }

    /** Σ x·mask over all elements: a rank-0 tensor. */
    public static Tensor sum(Tensor x, Tensor mask) {
        return zeroMasked(x, mask).sum();
    }

    /** Σ x·mask along {@code axis} (dropped). E.g. per-sequence log-prob sums: (B, T) → (B). */
    public static Tensor sum(Tensor x, Tensor mask, int axis) {
        return zeroMasked(x, mask).sum(false, axis);
    }

    /** Number of valid elements. */
    public static double count(Tensor mask) {
        return mask.data().sumNumber().doubleValue();
    }

    /** Σ x·mask / Σ mask over all elements (rank 0); 0 when no element is valid. */
    public static Tensor mean(Tensor x, Tensor mask) {
        double n = count(mask);
        return sum(x, mask).mul(1.0 / Math.max(n, 1.0));
    }

    /** Σ x·mask / Σ mask along {@code axis} (dropped); rows with no valid element give 0. */
    public static Tensor mean(Tensor x, Tensor mask, int axis) {
        Tensor s = sum(x, mask, axis);
        INDArray n = Transforms.max(mask.data().sum(false, axis), 1.0, false); // same shape as s
        return s.div(Tensor.constant(n.castTo(x.dtype()).reshape(s.shape())));
    }

    /**
     * Unbiased variance over the valid elements: Σ m·(x − μ)² / (n − 1), with μ = {@link #mean};
     * 0 when n &lt; 2 (one sample has no spread; TRL raises instead, a PPO batch must not).
     */
    public static Tensor variance(Tensor x, Tensor mask) {
        double n = count(mask);
        Tensor mu = mean(x, mask); // rank 0
        if (n < 2) {
            return mu.mul(0.0);
        }
        Tensor centered = zeroMasked(x, mask).subBroadcast(mu);
        return sum(centered.mul(centered), mask).mul(1.0 / (n - 1));
    }

    /**
     * Whitening over the valid elements: m·(x − μ)/√(σ² + 1e-8), and with {@code shiftMean = false}
     * m·((x − μ)/√(σ² + 1e-8) + μ) (PPO whitens rewards without moving their mean). Masked-out
     * elements are 0. Defined for any n: n = 0 gives all zeros; n = 1 gives 0 (or x itself when the
     * mean is kept back) because x − μ = 0 and σ² = 0; n = 2 gives ±|a − b|/2 / √((a − b)²/2 + 1e-8).
     */
    public static Tensor whiten(Tensor x, Tensor mask, boolean shiftMean) {
        Tensor mu = mean(x, mask);
        Tensor var = variance(x, mask);
        Tensor invStd = var.add(WHITEN_EPS).pow(-0.5); // rank 0
        Tensor whitened = zeroMasked(x, mask).subBroadcast(mu).mulBroadcast(invStd);
        if (!shiftMean) {
            whitened = whitened.addBroadcast(mu);
        }
        return whitened.mul(mask); // padding back to exactly 0
    }

    /** A float mask of x's dtype from any 0/1 array (convenience for callers holding int masks). */
    public static Tensor maskLike(Tensor x, INDArray mask) {
        Masks.sameShape("maskLike", "x", x.data(), "mask", mask);
        INDArray m = mask.castTo(x.dtype()).dup('c');
        Masks.checkBinary("maskLike", "mask", m);
        return Tensor.constant(m);
    }

    /** A mask of ones with x's shape and dtype. */
    public static Tensor ones(Tensor x) {
        return Tensor.constant(Nd4j.ones(x.dtype(), x.shape()));
    }
}
