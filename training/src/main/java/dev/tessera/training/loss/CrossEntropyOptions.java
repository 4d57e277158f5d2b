package dev.tessera.training.loss;

import dev.tessera.core.Require;

/**
 * Options of the fused softmax cross-entropy ({@link CrossEntropy}).
 *
 * <p>Per valid row with logits z (V), target y and lse = log Σ_v exp(z_v):
 * <pre>
 *   loss_row = (1 − ε)·(lse − z_y) + (ε / V)·Σ_v (lse − z_v) + λ_z·lse²
 * </pre>
 * which is PyTorch's {@code cross_entropy(..., label_smoothing=ε)} plus PaLM's z-loss.
 *
 * @param ignoreIndex targets equal to this contribute nothing and are not counted (typical: -100)
 * @param labelSmoothing ε in [0, 1); 0 disables (typical: 0 or 0.1)
 * @param zLoss λ_z ≥ 0, weight of the squared log-normaliser (typical: 0 or 1e-4)
 */
public record CrossEntropyOptions(int ignoreIndex, double labelSmoothing, double zLoss) {
    /** PyTorch's default ignore index. */
    public static final int DEFAULT_IGNORE_INDEX = -100;

    public CrossEntropyOptions {
        Require.inHalfOpen("labelSmoothing", labelSmoothing, 0, 1);
        Require.nonNegative("zLoss", zLoss);
    }

    /** Ignore index -100, no smoothing, no z-loss. */
    public static CrossEntropyOptions defaults() {
        return new CrossEntropyOptions(DEFAULT_IGNORE_INDEX, 0, 0);
    }

    public CrossEntropyOptions withLabelSmoothing(double eps) {
        return new CrossEntropyOptions(ignoreIndex, eps, zLoss);
    }

    public CrossEntropyOptions withZLoss(double lambda) {
        return new CrossEntropyOptions(ignoreIndex, labelSmoothing, lambda);
    }

    public CrossEntropyOptions withIgnoreIndex(int index) {
        return new CrossEntropyOptions(index, labelSmoothing, zLoss);
    }
}
