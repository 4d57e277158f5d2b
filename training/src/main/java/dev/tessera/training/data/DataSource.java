package dev.tessera.training.data;

/**
 * An endless stream of training batches of any kind (token rows, ranked comparisons, preference
 * pairs) whose position can be saved and restored, so that a resumed run sees exactly the
 * batches the uninterrupted run would have seen.
 *
 * @param <B> the batch type the objective consumes
 */
public interface DataSource<B> {
    /** The next batch. */
    B next();

    /** The position (opaque longs) after the last {@link #next()}. */
    long[] position();

    /** Restores a {@link #position()}. */
    void setPosition(long[] position);
}
