package dev.tessera.training.data;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One training batch with targets already aligned to the model's outputs: the loss compares
 * the logits at (b, t) with {@code targets[b, t]} (no further shift), and ignores targets equal
 * to the ignore index.
 *
 * @param inputs (B, T) int ids
 * @param targets (B, T) int ids or the ignore index
 * @param attentionMask (B, T) 1 for real tokens, 0 for padding; null when there is no padding
 */
public record Batch(INDArray inputs, INDArray targets, INDArray attentionMask) {
    public Batch {
        if (inputs == null || targets == null) {
            throw new IllegalArgumentException("inputs and targets must not be null");
        }
        if (inputs.rank() != 2 || !inputs.dataType().isIntType()) {
            throw new IllegalArgumentException("inputs must be an integer (B, T) array but were " + inputs.dataType() + " "
                    + Arrays.toString(inputs.shape()));
        }
        if (!Arrays.equals(inputs.shape(), targets.shape()) || !targets.dataType().isIntType()) {
            throw new IllegalArgumentException("targets must be an integer array of shape " + Arrays.toString(inputs.shape())
                    + " but were " + targets.dataType() + " " + Arrays.toString(targets.shape()));
        }
        if (attentionMask != null && !Arrays.equals(inputs.shape(), attentionMask.shape())) {
            throw new IllegalArgumentException("attentionMask must have shape " + Arrays.toString(inputs.shape())
                    + " but has " + Arrays.toString(attentionMask.shape()));
        }
    }

    public int batchSize() {
        return (int) inputs.size(0);
    }

    public int length() {
        return (int) inputs.size(1);
    }
}
