package dev.tessera.bench;

import dev.tessera.core.Require;
import java.util.Random;

/** Deterministic inputs shared by every side of a benchmark, so all sides compute on the same values. */
public final class BenchInputs {
    private BenchInputs() {}

    /** n standard-normal floats times {@code scale}, from {@code seed}. */
    public static float[] gaussian(int n, long seed, double scale) {
        Random rnd = new Random(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (rnd.nextGaussian() * scale);
        }
        return out;
    }

    /** n ids uniform in [0, bound), from {@code seed}. */
    public static int[] ids(int n, int bound, long seed) {
        Require.positive("bound", bound);
        Random rnd = new Random(seed);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = rnd.nextInt(bound);
        }
        return out;
    }

    /** "ROWSxCOLS" benchmark parameters, e.g. {@code "2048x768"} → {2048, 768}. */
    public static int[] rowsCols(String shape) {
        String[] p = shape.split("x");
        if (p.length != 2) {
            throw new IllegalArgumentException("shape must be ROWSxCOLS, e.g. 2048x768, but was " + shape);
        }
        int[] rc = {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
        if (rc[0] <= 0 || rc[1] <= 0) {
            throw new IllegalArgumentException("shape must be positive but was " + shape);
        }
        return rc;
    }
}
