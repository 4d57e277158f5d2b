package dev.tessera.rlhf.data;

import dev.tessera.core.Rng;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Minibatch orders for the RLHF loops that make several passes over one batch (PPO, GRPO): a
 * shuffled order of the batch's rows cut into equal minibatches, and the gathering and scattering
 * of a minibatch's rows in per-row arrays such as log-probs (B, T − 1).
 */
public final class Minibatches {
    private Minibatches() {}

    /**
     * The row indices 0 … n − 1 in a uniformly random order (Fisher–Yates, drawing from {@code rng}),
     * cut into n / size minibatches of {@code size} rows each in that order. When size does not
     * divide n the last n mod size rows of the order are in no minibatch.
     */
    public static int[][] shuffled(int n, int size, Rng rng) {
        if (n < 0) {
            throw new IllegalArgumentException("Minibatches.shuffled: n must be >= 0 but was " + n);
        }
        if (size < 1) {
            throw new IllegalArgumentException("Minibatches.shuffled: size must be >= 1 but was " + size);
        }
        if (rng == null) {
            throw new IllegalArgumentException("Minibatches.shuffled: rng must not be null");
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        int[][] out = new int[n / size][];
        for (int i = 0; i < out.length; i++) {
            out[i] = Arrays.copyOfRange(order, i * size, (i + 1) * size);
        }
        return out;
    }

    /** The given rows of {@code a} (B, …) as a new C-ordered array (rows.length, …). */
    public static INDArray rows(INDArray a, int[] rows) {
        return Nd4j.pullRows(a, 1, rows).dup('c');
    }

    /** Writes row i of {@code values} (rows.length, …) into row rows[i] of {@code target} (B, …). */
    public static void putRows(INDArray target, int[] rows, INDArray values) {
        if (values.rows() != rows.length) {
            throw new IllegalArgumentException("Minibatches.putRows: values must have rows.length = " + rows.length
                    + " rows but has " + values.rows());
        }
        for (int i = 0; i < rows.length; i++) {
            target.putRow(rows[i], values.getRow(i));
        }
    }
}
