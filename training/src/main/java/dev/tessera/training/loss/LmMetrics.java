package dev.tessera.training.loss;

import dev.tessera.core.Require;

/** Language-model metrics derived from summed negative log-likelihoods in nats. */
public final class LmMetrics {
    private static final double LN2 = Math.log(2);

    private LmMetrics() {}

    /** exp(mean NLL): {@code perplexity(Math.log(50)) -> 50.0}. */
    public static double perplexity(double meanNllNats) {
        return Math.exp(meanNllNats);
    }

    /**
     * Bits per byte of the underlying text: nllSumNats / (ln 2 · bytes). Unlike perplexity it
     * compares models with different tokenizers: {@code bitsPerByte(8 * Math.log(2), 1) -> 8.0}.
     */
    public static double bitsPerByte(double nllSumNats, long bytes) {
        Require.positive("bytes", bytes);
        return nllSumNats / (LN2 * bytes);
    }
}
