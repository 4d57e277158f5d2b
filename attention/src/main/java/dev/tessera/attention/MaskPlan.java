package dev.tessera.attention;

import dev.tessera.host.HostMemory;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link AttentionOptions} resolved against concrete shapes: for each query row the contiguous
 * key range {@code [lo, hi)} allowed by the causal mask, the sliding window and the key lengths,
 * plus the per-key padding flags and ALiBi slopes. Shared by every attention path so that they
 * mask identically.
 */
final class MaskPlan {
    final int batch; // B
    final int heads; // H (query heads)
    final int tq; // Tq
    final int tk; // Tk
    final long offset;
    final boolean causal;
    final int window;
    final int[] lengths; // (B), Tk when not given
    final boolean[] padding; // (B * Tk), true = real key; null when no padding mask
    final double[] slopes; // (H) or null

    MaskPlan(AttentionOptions o, int batch, int heads, int tq, int tk) {
        this.batch = batch;
        this.heads = heads;
        this.tq = tq;
        this.tk = tk;
        this.offset = o.causalOffset();
        this.causal = o.causal();
        this.window = o.window();
        this.lengths = new int[batch];
        if (o.keyLengths() != null) {
            if (o.keyLengths().length != batch) {
                throw new IllegalArgumentException("keyLengths must have one entry per batch row (" + batch
                        + ") but has " + o.keyLengths().length);
            }
            for (int b = 0; b < batch; b++) {
                if (o.keyLengths()[b] > tk) {
                    throw new IllegalArgumentException("keyLengths[" + b + "] = " + o.keyLengths()[b]
                            + " exceeds the number of keys Tk = " + tk);
                }
                lengths[b] = o.keyLengths()[b];
            }
        } else {
            Arrays.fill(lengths, tk);
        }
        INDArray pad = o.keyPadding();
        if (pad != null) {
            if (pad.size(0) != batch || pad.size(1) != tk) {
                throw new IllegalArgumentException("keyPadding must have shape [" + batch + ", " + tk + "] (B, Tk) but has "
                        + Arrays.toString(pad.shape()));
            }
            double[] v = HostMemory.toDoubleArray(pad);
            padding = new boolean[v.length];
            for (int i = 0; i < v.length; i++) {
                padding[i] = v[i] != 0;
            }
        } else {
            padding = null;
        }
        if (o.alibiSlopes() != null && o.alibiSlopes().length != heads) {
            throw new IllegalArgumentException("alibiSlopes must have one slope per query head (" + heads + ") but has "
                    + o.alibiSlopes().length);
        }
        this.slopes = o.alibiSlopes();
    }

    /** First key query row i may attend. */
    int lo(int i) {
        if (window <= 0) {
            return 0;
        }
        long l = i + offset - window + 1;
        return (int) Math.max(0, Math.min(l, tk));
    }

    /** One past the last key that query row i of batch b may attend. */
    int hi(int b, int i) {
        long h = lengths[b];
        long qpos = i + offset;
        if (causal) {
            h = Math.min(h, qpos + 1);
        } else if (window > 0) {
            h = Math.min(h, qpos + window);
        }
        return (int) Math.max(0, h);
    }

    /** Whether key j is a real (unpadded) key of batch b; the range check is separate. */
    boolean real(int b, int j) {
        return padding == null || padding[b * tk + j];
    }

    /** Whether (b, i, j) is attended. */
    boolean allowed(int b, int i, int j) {
        return j >= lo(i) && j < hi(b, i) && real(b, j);
    }

    /** The ALiBi term for head h, query i, key j (0 without ALiBi). */
    double alibi(int h, int i, int j) {
        return slopes == null ? 0.0 : -slopes[h] * Math.abs(i + offset - j);
    }

    /** Whether key j of batch b is masked for every query (padding or beyond the key length). */
    boolean deadKey(int b, int j) {
        return j >= lengths[b] || !real(b, j);
    }

    boolean hasDeadKeys() {
        for (int b = 0; b < batch; b++) {
            if (lengths[b] < tk) {
                return true;
            }
        }
        if (padding != null) {
            for (boolean p : padding) {
                if (!p) {
                    return true;
                }
            }
        }
        return false;
    }
}
