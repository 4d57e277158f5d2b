package dev.tessera.training.data;

import dev.tessera.core.Rng;
import java.util.Arrays;

/**
 * The {@link BatchSource#position()} of a source that draws its batches with one {@link Rng}: the
 * generator's 6-long state followed by the number of batches drawn, 7 longs in all. Restoring both
 * makes the next batch the one an uninterrupted run would have drawn.
 */
public final class DrawPosition {
    /** Longs in a position: the RNG state (6) and the draw count. */
    public static final int LENGTH = 7;

    private DrawPosition() {}

    /** The position of a source whose generator is {@code rng} after {@code drawn} batches. */
    public static long[] of(Rng rng, long drawn) {
        long[] s = rng.state();
        long[] p = Arrays.copyOf(s, s.length + 1);
        p[s.length] = drawn;
        return p;
    }

    /**
     * Sets {@code rng} to the state in {@code position} and returns the draw count.
     *
     * @param owner the source's name, for the error message
     */
    public static long restore(long[] position, Rng rng, String owner) {
        if (position == null || position.length != LENGTH) {
            throw new IllegalArgumentException(owner + ": position must have " + LENGTH + " longs (rng state + count) but was "
                    + Arrays.toString(position));
        }
        rng.setState(Arrays.copyOf(position, LENGTH - 1));
        return position[LENGTH - 1];
    }
}
