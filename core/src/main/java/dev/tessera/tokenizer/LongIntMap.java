package dev.tessera.tokenizer;

import java.util.Arrays;

/**
 * Open-addressing hash map from non-zero {@code long} keys to {@code int} values, linear
 * probing, power-of-two capacity, load factor at most 1/2. No boxing: this is the hot
 * lookup of the BPE merge loop (byte strings of up to 7 bytes packed into a long) and the
 * pair index of the trainer.
 */
final class LongIntMap {
    private long[] keys;
    private int[] values;
    private int size;
    private int mask;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected) * 2 - 1) << 1;
        keys = new long[cap];
        values = new int[cap];
        mask = cap - 1;
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29) ^ (h >>> 47)) & mask;
    }

    /** Value for key, or {@code missing}. */
    int get(long key, int missing) {
        long[] k = keys;
        int m = mask;
        int i = slot(key, m);
        while (true) {
            long x = k[i];
            if (x == key) {
                return values[i];
            }
            if (x == 0) {
                return missing;
            }
            i = (i + 1) & m;
        }
    }

    /** Puts key and returns the previous value, or {@code missing}. */
    int put(long key, int value, int missing) {
        if (key == 0) {
            throw new IllegalArgumentException("key must be non-zero");
        }
        int i = slot(key, mask);
        while (true) {
            long x = keys[i];
            if (x == key) {
                int old = values[i];
                values[i] = value;
                return old;
            }
            if (x == 0) {
                keys[i] = key;
                values[i] = value;
                if (++size * 2 > keys.length) {
                    grow();
                }
                return missing;
            }
            i = (i + 1) & mask;
        }
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] ok = keys;
        int[] ov = values;
        keys = new long[ok.length * 2];
        values = new int[ok.length * 2];
        mask = keys.length - 1;
        for (int j = 0; j < ok.length; j++) {
            if (ok[j] != 0) {
                int i = slot(ok[j], mask);
                while (keys[i] != 0) {
                    i = (i + 1) & mask;
                }
                keys[i] = ok[j];
                values[i] = ov[j];
            }
        }
        Arrays.fill(ok, 0); // help nothing but makes misuse of stale arrays obvious
    }
}
