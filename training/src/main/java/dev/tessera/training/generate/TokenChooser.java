package dev.tessera.training.generate;

import dev.tessera.core.Rng;
import java.util.Arrays;

/** One row's next-token choice as documented on {@link SamplingConfig}; pure apart from the generator draws. */
final class TokenChooser {
    private TokenChooser() {}

    /**
     * @param logits the row's logits (modified in place)
     * @param history the sequence so far; entries [historyFrom, historyTo) are its tokens (for the
     *     repetition penalty), entries before are padding
     * @throws IllegalStateException when a logit is NaN or +∞, or all are −∞: there is no
     *     distribution to choose from, and a "choice" would silently be the arg-max or token 0
     */
    static int choose(double[] logits, int[] history, int historyFrom, int historyTo, SamplingConfig c, Rng rng) {
        int v = logits.length;
        boolean anyFinite = false;
        for (int k = 0; k < v; k++) {
            if (Double.isNaN(logits[k]) || logits[k] == Double.POSITIVE_INFINITY) {
                throw new IllegalStateException("the model's logit for token " + k + " is " + logits[k]);
            }
            anyFinite |= logits[k] != Double.NEGATIVE_INFINITY;
        }
        if (!anyFinite) {
            throw new IllegalStateException("every logit is -Infinity, no token can be chosen");
        }
        if (c.repetitionPenalty() != 1) {
            boolean[] seen = new boolean[v];
            for (int i = historyFrom; i < historyTo; i++) {
                seen[history[i]] = true;
            }
            for (int k = 0; k < v; k++) {
                if (seen[k]) {
                    logits[k] = logits[k] > 0 ? logits[k] / c.repetitionPenalty() : logits[k] * c.repetitionPenalty();
                }
            }
        }
        if (c.temperature() == 0) {
            int best = 0;
            for (int k = 1; k < v; k++) {
                if (logits[k] > logits[best]) {
                    best = k;
                }
            }
            return best;
        }
        // candidates sorted by logit, descending (stable: lower id first on ties)
        Integer[] order = new Integer[v];
        for (int k = 0; k < v; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (a, b) -> Double.compare(logits[b], logits[a]));
        int keep = c.topK() > 0 ? Math.min(c.topK(), v) : v;
        double max = logits[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp((logits[order[i]] - max) / c.temperature());
            sum += p[i];
        }
        if (c.topP() < 1) {
            double cum = 0;
            int n = 0;
            while (n < keep) {
                cum += p[n] / sum;
                n++;
                if (cum >= c.topP()) {
                    break;
                }
            }
            keep = n;
            sum = 0;
            for (int i = 0; i < keep; i++) {
                sum += p[i];
            }
        }
        double u = rng.nextDouble() * sum;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[i];
            if (u < acc) {
                return order[i];
            }
        }
        return order[keep - 1];
    }
}
