package dev.tessera.training.loss;

import dev.tessera.backend.Backend;
import dev.tessera.core.Rng;
import dev.tessera.training.Flat;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Masked-LM batches ({@link MaskingConfig}) and their loss, which is the cross-entropy on the
 * selected positions only (labels elsewhere are the ignore index, so they cost nothing).
 */
public final class MaskedLm {
    static {
        // creates ND4J arrays, possibly before any Tensor: pick the native build first (see Backend)
        Backend.init();
    }

    private MaskedLm() {}

    /**
     * A corrupted batch.
     *
     * @param inputs (B, T) ids fed to the encoder
     * @param labels (B, T) original ids at selected positions, {@code ignoreIndex} elsewhere
     * @param selected number of selected positions
     */
    public record Masked(INDArray inputs, INDArray labels, long selected) {}

    /**
     * Corrupts {@code ids} (B, T) as BERT does, drawing from {@code rng}. Deterministic for a
     * given rng state. Token ids must lie in [0, V).
     */
    public static Masked mask(INDArray ids, MaskingConfig config, int ignoreIndex, Rng rng) {
        if (ids == null || ids.rank() != 2 || !ids.dataType().isIntType()) {
            throw new IllegalArgumentException("ids must be an integer (B, T) array but were "
                    + (ids == null ? "null" : ids.dataType() + " " + Arrays.toString(ids.shape())));
        }
        int v = config.vocabSize();
        boolean[] special = new boolean[v];
        for (int s : config.specialIds()) {
            special[s] = true;
        }
        int[] replaceable = new int[v];
        int nReplaceable = 0;
        for (int i = 0; i < v; i++) {
            if (!special[i]) {
                replaceable[nReplaceable++] = i;
            }
        }
        int[] in = Flat.ints(ids);
        int[] out = in.clone();
        int[] labels = new int[in.length];
        Arrays.fill(labels, ignoreIndex);
        long selected = 0;
        for (int i = 0; i < in.length; i++) {
            int t = in[i];
            if (t < 0 || t >= v) {
                throw new IllegalArgumentException("ids[" + i + "] must be in [0, " + v + ") but was " + t);
            }
            if (special[t] || rng.nextDouble() >= config.selectProb()) {
                continue;
            }
            selected++;
            labels[i] = t;
            double r = rng.nextDouble();
            if (r < config.maskProb()) {
                out[i] = config.maskId();
            } else if (r < config.maskProb() + config.randomProb() && nReplaceable > 0) {
                out[i] = replaceable[rng.nextInt(nReplaceable)];
            }
        }
        long[] shape = ids.shape();
        return new Masked(Nd4j.createFromArray(out).reshape('c', shape), Nd4j.createFromArray(labels).reshape('c', shape),
                selected);
    }
}
