package dev.tessera.rlhf.data;

import dev.tessera.core.Rng;
import dev.tessera.training.data.DataSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Batches over a fixed training set in epochs of seeded shuffles: every item is seen once per
 * epoch, and a run's order depends only on the generator's state. A batch that straddles two
 * epochs takes the end of one shuffle and the start of the next. Each batch of items is turned
 * into what the objective consumes by {@code collate} (e.g. a padded {@link SequenceBatch}).
 *
 * <p>Position, for exact resume: the generator's state before the current shuffle, the index
 * into that shuffle and the number of batches drawn. Restoring re-draws the same shuffle, which
 * leaves the generator where the uninterrupted run had it.
 *
 * @param <T> an item: a prompt/response pair, a ranked group, a preference pair's index
 * @param <B> the batch the objective consumes
 */
public final class ShuffledBatches<T, B> implements DataSource<B> {
    private final List<T> items;
    private final int batchSize;
    private final Rng rng;
    private final Function<List<T>, B> collate;
    private long[] stateBeforeShuffle;
    private int[] perm;
    private int next;
    private long drawn;

    /**
     * Shuffles once here (so the generator advances as soon as the source exists).
     *
     * @param batchSize items per batch, in [1, items.size()]
     * @param rng the generator of the shuffles (its state is part of the position)
     */
    public ShuffledBatches(List<T> items, int batchSize, Rng rng, Function<List<T>, B> collate) {
        if (items == null || items.isEmpty()) {
            throw new IllegalArgumentException("ShuffledBatches: items must not be empty");
        }
        if (batchSize < 1 || batchSize > items.size()) {
            throw new IllegalArgumentException("ShuffledBatches: batchSize must be in [1, " + items.size() + "] but was "
                    + batchSize);
        }
        if (rng == null || collate == null) {
            throw new IllegalArgumentException("ShuffledBatches: rng and collate must not be null");
        }
        this.items = List.copyOf(items);
        this.batchSize = batchSize;
        this.rng = rng;
        this.collate = collate;
        shuffle();
    }

    /** The indices 0 … n−1, for sources over indices (e.g. DPO's pairs). */
    public static List<Integer> indices(int n) {
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    /** The next batch's items, by index into the training set. */
    public int[] nextIndices() {
        int[] out = new int[batchSize];
        for (int i = 0; i < batchSize; i++) {
            if (next == items.size()) {
                shuffle();
            }
            out[i] = perm[next++];
        }
        drawn++;
        return out;
    }

    @Override
    public B next() {
        List<T> batch = new ArrayList<>(batchSize);
        for (int i : nextIndices()) {
            batch.add(items.get(i));
        }
        return collate.apply(batch);
    }

    @Override
    public long[] position() {
        long[] p = Arrays.copyOf(stateBeforeShuffle, stateBeforeShuffle.length + 2);
        p[stateBeforeShuffle.length] = next;
        p[stateBeforeShuffle.length + 1] = drawn;
        return p;
    }

    @Override
    public void setPosition(long[] position) {
        int s = stateBeforeShuffle.length;
        if (position == null || position.length != s + 2) {
            throw new IllegalArgumentException("ShuffledBatches: position must have " + (s + 2)
                    + " longs (rng state, index, batches drawn) but was " + Arrays.toString(position));
        }
        if (position[s] < 0 || position[s] > items.size() || position[s + 1] < 0) {
            throw new IllegalArgumentException("ShuffledBatches: position index must be in [0, " + items.size()
                    + "] and the batch count >= 0 but were " + position[s] + ", " + position[s + 1]);
        }
        long[] before = rng.state();
        try {
            rng.setState(Arrays.copyOf(position, s));
            shuffle();
        } catch (RuntimeException e) {
            rng.setState(before);
            throw e;
        }
        next = (int) position[s];
        drawn = position[s + 1];
    }

    private void shuffle() {
        stateBeforeShuffle = rng.state();
        int n = items.size();
        perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        next = 0;
    }
}
