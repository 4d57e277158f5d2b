package dev.tessera.training.data;

/**
 * An endless stream of training batches whose position can be saved and restored, so that a
 * resumed run sees exactly the batches the uninterrupted run would have seen.
 */
public interface BatchSource {
    Batch next();

    /** The position (opaque longs) after the last {@link #next()}. */
    long[] position();

    /** Restores a {@link #position()}. */
    void setPosition(long[] position);
}
