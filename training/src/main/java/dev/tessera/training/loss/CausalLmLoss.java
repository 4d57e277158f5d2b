package dev.tessera.training.loss;

import dev.tessera.core.Tensor;
import dev.tessera.training.Flat;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Next-token cross-entropy with the shift done by indexing instead of slicing: the logits at
 * position t are scored against ids[t + 1] and the last position of every row is ignored, so
 * the (B, T, V) logits are read in place (no (B, T−1, V) copy).
 */
public final class CausalLmLoss {
    private CausalLmLoss() {}

    /**
     * @param logits (B, T, V)
     * @param ids (B, T) the input ids; positions whose <i>target</i> id equals the ignore index
     *     (e.g. padding or a prompt relabelled to -100) are skipped
     * @param normalizer &gt; 0, or 0 for "valid tokens of this batch"
     */
    public static LossResult loss(Tensor logits, INDArray ids, CrossEntropyOptions options, double normalizer) {
        return CrossEntropy.loss(logits, shiftedTargets(logits, ids, options.ignoreIndex()), options, normalizer);
    }

    /** Mean over this batch's valid next-token targets. */
    public static LossResult loss(Tensor logits, INDArray ids, CrossEntropyOptions options) {
        return loss(logits, ids, options, 0);
    }

    /** Targets of the shifted loss, flattened (B·T): ids[b, t+1] for t &lt; T−1, the ignore index at t = T−1. */
    public static int[] shiftedTargets(Tensor logits, INDArray ids, int ignoreIndex) {
        if (logits.rank() != 3) {
            throw new IllegalArgumentException("logits must be (B, T, V) but have shape " + Arrays.toString(logits.shape()));
        }
        if (ids == null || ids.rank() != 2 || ids.size(0) != logits.size(0) || ids.size(1) != logits.size(1)) {
            throw new IllegalArgumentException("ids must be (B, T) = (" + logits.size(0) + ", " + logits.size(1)
                    + ") but have shape " + (ids == null ? "null" : Arrays.toString(ids.shape())));
        }
        if (!ids.dataType().isIntType()) {
            throw new IllegalArgumentException("ids must be an integer array but are " + ids.dataType());
        }
        int b = (int) ids.size(0);
        int t = (int) ids.size(1);
        int[] flat = Flat.ints(ids);
        int[] targets = new int[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                targets[i * t + j] = j + 1 < t ? flat[i * t + j + 1] : ignoreIndex;
            }
        }
        return targets;
    }
}
