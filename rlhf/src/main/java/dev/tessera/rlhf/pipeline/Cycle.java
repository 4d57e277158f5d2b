package dev.tessera.rlhf.pipeline;

import dev.tessera.core.Rng;

/**
 * Minibatch order over a training set: epochs of seeded shuffles, so every example is seen once
 * per epoch and a run's order depends only on the seed. A batch that straddles two epochs takes
 * the end of one shuffle and the start of the next.
 */
final class Cycle {
    private final int size;
    private final Rng rng;
    private int[] perm;
    private int next;

    Cycle(int size, Rng rng) {
        if (size < 1) {
            throw new IllegalArgumentException("Cycle: size must be >= 1 but was " + size);
        }
        this.size = size;
        this.rng = rng;
        shuffle();
    }

    /** The next {@code n} indices (1 ≤ n ≤ size). */
    int[] next(int n) {
        if (n < 1 || n > size) {
            throw new IllegalArgumentException("Cycle.next: n must be in [1, " + size + "] but was " + n);
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            if (next == size) {
                shuffle();
            }
            out[i] = perm[next++];
        }
        return out;
    }

    private void shuffle() {
        perm = new int[size];
        for (int i = 0; i < size; i++) {
            perm[i] = i;
        }
        for (int i = size - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        next = 0;
    }
}
