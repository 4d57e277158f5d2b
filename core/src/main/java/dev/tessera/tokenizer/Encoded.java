package dev.tessera.tokenizer;

import java.util.Arrays;

/**
 * Token ids with the char span {@code [starts[i], ends[i])} of the source text that each
 * token came from.
 */
public record Encoded(int[] ids, int[] starts, int[] ends) {
    public Encoded {
        if (ids.length != starts.length || ids.length != ends.length) {
            throw new IllegalArgumentException("ids, starts and ends must have the same length, got "
                    + ids.length + ", " + starts.length + ", " + ends.length);
        }
    }

    /** Number of tokens. */
    public int size() {
        return ids.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Encoded e && Arrays.equals(ids, e.ids) && Arrays.equals(starts, e.starts)
                && Arrays.equals(ends, e.ends);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids) * 31 + Arrays.hashCode(starts);
    }

    @Override
    public String toString() {
        return "Encoded" + Arrays.toString(ids);
    }
}
