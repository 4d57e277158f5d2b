package dev.tessera.tokenizer;

import java.util.Arrays;

/** Growable {@code int[]} without boxing. */
final class IntArray {
    int[] a;
    int size;

    IntArray(int capacity) {
        a = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (size == a.length) {
            a = Arrays.copyOf(a, a.length * 2);
        }
        a[size++] = v;
    }

    int[] toArray() {
        return Arrays.copyOf(a, size);
    }
}
