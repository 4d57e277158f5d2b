package dev.tessera.training.data;

import dev.tessera.backend.Backend;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Pads variable-length sequences into one next-token {@link Batch}: right padding with
 * {@code padId}, attention mask 1 on real tokens, and targets[b, t] = ids[b, t + 1] where that
 * token is in the loss mask, the ignore index everywhere else (padding, prompts, the last
 * position). With right padding and causal attention the real tokens never see the padding.
 */
public final class Collator {
    static {
        // creates ND4J arrays, possibly before any Tensor: pick the native build first (see Backend)
        Backend.init();
    }

    private Collator() {}

    public static Batch pad(List<LabeledSequence> sequences, int padId, int ignoreIndex) {
        if (sequences == null || sequences.isEmpty()) {
            throw new IllegalArgumentException("sequences must be a non-empty list");
        }
        int b = sequences.size();
        int t = 0;
        for (LabeledSequence s : sequences) {
            t = Math.max(t, s.length());
        }
        int[] in = new int[b * t];
        int[] tg = new int[b * t];
        int[] mask = new int[b * t];
        Arrays.fill(in, padId);
        Arrays.fill(tg, ignoreIndex);
        for (int i = 0; i < b; i++) {
            int[] ids = sequences.get(i).ids();
            boolean[] lm = sequences.get(i).lossMask();
            for (int j = 0; j < ids.length; j++) {
                in[i * t + j] = ids[j];
                mask[i * t + j] = 1;
                if (j + 1 < ids.length && lm[j + 1]) {
                    tg[i * t + j] = ids[j + 1];
                }
            }
        }
        return new Batch(Nd4j.createFromArray(in).reshape('c', b, t), Nd4j.createFromArray(tg).reshape('c', b, t),
                Nd4j.createFromArray(mask).reshape('c', b, t));
    }
}
