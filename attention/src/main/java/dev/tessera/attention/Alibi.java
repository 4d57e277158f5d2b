package dev.tessera.attention;

import dev.tessera.core.Require;

/**
 * ALiBi (Press et al., "Train Short, Test Long"): no position embeddings; each head adds
 * {@code -slope_h · |i - j|} to its attention scores. Pass the slopes to
 * {@link AttentionOptions#withAlibi}; the attention kernels add the term on the fly, so no
 * (Tq, Tk) bias is materialised.
 */
public final class Alibi {
    private Alibi() {}

    /**
     * The paper's slopes: for n heads a power of two, the geometric sequence starting at
     * {@code 2^(-8/n)} with that ratio ({@code slopes(8) -> [1/2, 1/4, ..., 1/256]}); otherwise
     * those of the closest smaller power of two followed by every other slope of twice that.
     */
    public static double[] slopes(int nHeads) {
        Require.positive("nHeads", nHeads);
        int p = Integer.highestOneBit(nHeads);
        double[] out = new double[nHeads];
        double[] base = powerOfTwo(p);
        System.arraycopy(base, 0, out, 0, p);
        if (p < nHeads) {
            double[] extra = powerOfTwo(2 * p);
            for (int i = 0; i < nHeads - p; i++) {
                out[p + i] = extra[2 * i];
            }
        }
        return out;
    }

    private static double[] powerOfTwo(int n) {
        double start = Math.pow(2, -8.0 / n);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = Math.pow(start, i + 1);
        }
        return s;
    }
}
