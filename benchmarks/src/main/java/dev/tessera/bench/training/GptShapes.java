package dev.tessera.bench.training;

import dev.tessera.core.Rng;

/**
 * The benchmark GPT of issue 5: n_layer 4, n_head 4, n_embd 256, context 256, vocabulary 8192,
 * no dropout, tied head; training batches of B = 8 sequences of T = 256 tokens. Both sides use
 * the same pseudo-random token ids.
 */
final class GptShapes {
    static final int LAYERS = 4;
    static final int HEADS = 4;
    static final int EMBD = 256;
    static final int CONTEXT = 256;
    static final int VOCAB = 8192;
    static final int BATCH = 8;
    static final int SEQ = 256;

    private GptShapes() {}

    /** n ids in [0, VOCAB), fixed seed. */
    static int[] ids(int n, long seed) {
        Rng r = new Rng(seed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = r.nextInt(VOCAB);
        }
        return out;
    }
}
