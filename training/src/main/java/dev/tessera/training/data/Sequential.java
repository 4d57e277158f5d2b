package dev.tessera.training.data;

import dev.tessera.backend.Backend;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/** Deterministic non-overlapping next-token windows, for validation sets that must not change between evaluations. */
public final class Sequential {
    static {
        // creates ND4J arrays, possibly before any Tensor: pick the native build first (see Backend)
        Backend.init();
    }

    private Sequential() {}

    /** Up to {@code maxBatches} batches of (B, T) windows taken in order from [from, to). */
    public static List<Batch> windows(TokenFile tokens, long from, long to, int batchSize, int length, int maxBatches) {
        List<Batch> out = new ArrayList<>();
        long pos = from;
        int[] w = new int[length + 1];
        while (out.size() < maxBatches && pos + (long) batchSize * length + 1 <= to) {
            int[] in = new int[batchSize * length];
            int[] tg = new int[batchSize * length];
            for (int b = 0; b < batchSize; b++) {
                tokens.read(pos, w);
                System.arraycopy(w, 0, in, b * length, length);
                System.arraycopy(w, 1, tg, b * length, length);
                pos += length;
            }
            out.add(new Batch(Nd4j.createFromArray(in).reshape('c', batchSize, length),
                    Nd4j.createFromArray(tg).reshape('c', batchSize, length), null));
        }
        return out;
    }
}
