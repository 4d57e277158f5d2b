package dev.tessera.bench.attention;

import java.util.Random;

/** The same pseudo-random q, k, v and upstream gradient values for every side of an attention benchmark. */
final class AttentionInputs {
    private AttentionInputs() {}

    /** (B, H, T, D) shapes as benchmark parameters, e.g. {@code "4x8x256x64"}. */
    static int[] shape(String s) {
        String[] p = s.split("x");
        if (p.length != 4) {
            throw new IllegalArgumentException("shape must be BxHxTxD, e.g. 4x8x256x64, but was " + s);
        }
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]), Integer.parseInt(p[3])};
    }

    /** q, k, v, upstream gradient: four row-major (B, H, T, D) float arrays. */
    static float[][] values(int[] s) {
        int n = s[0] * s[1] * s[2] * s[3];
        Random rnd = new Random(4321);
        float[][] out = new float[4][n];
        for (float[] a : out) {
            for (int i = 0; i < n; i++) {
                a[i] = (float) rnd.nextGaussian();
            }
        }
        return out;
    }
}
