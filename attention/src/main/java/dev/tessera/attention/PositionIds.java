package dev.tessera.attention;

import dev.tessera.host.HostMemory;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Position ids for padded batches, as Hugging Face computes them from an attention mask: each
 * real token's position is the number of real tokens before it in its sequence (plus the tokens
 * already in a KV cache), so a left-padded prompt gets the same positions as unpadded. Padding
 * tokens get the position of the previous real token (0 before the first); they are masked
 * anyway.
 *
 * <pre>{@code mask [[0, 0, 1, 1], [1, 1, 1, 0]] -> [[0, 0, 0, 1], [0, 1, 2, 2]]}</pre>
 */
public final class PositionIds {
    private PositionIds() {}

    /**
     * @param mask (B, T), non-zero for real tokens, or null (all real)
     * @param start (B) real tokens before this chunk, or null (all 0)
     * @return (B, T) LONG positions
     */
    public static INDArray fromMask(INDArray mask, int batch, int t, long[] start) {
        boolean[] real = realFlags(mask, batch, t);
        long[] out = new long[batch * t];
        for (int b = 0; b < batch; b++) {
            long count = start == null ? 0 : start[b];
            for (int i = 0; i < t; i++) {
                boolean r = real == null || real[b * t + i];
                out[b * t + i] = r ? count : Math.max(count - 1, 0);
                if (r) {
                    count++;
                }
            }
        }
        return Nd4j.createFromArray(out).reshape('c', batch, t);
    }

    /** The mask's non-zero flags (B·T), or null for a null mask; checks the shape. */
    static boolean[] realFlags(INDArray mask, int batch, int t) {
        if (mask == null) {
            return null;
        }
        if (mask.rank() != 2 || mask.size(0) != batch || mask.size(1) != t) {
            throw new IllegalArgumentException("attentionMask must have shape [" + batch + ", " + t + "] (B, T) but has "
                    + Arrays.toString(mask.shape()));
        }
        double[] v = HostMemory.toDoubleArray(mask);
        boolean[] r = new boolean[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i] != 0;
        }
        return r;
    }
}
