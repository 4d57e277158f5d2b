package dev.tessera.training.loss;

import dev.tessera.core.Tensor;

/**
 * A loss and the statistics that metrics need.
 *
 * @param loss scalar: Σ_valid loss_row / normalizer (one autograd node)
 * @param nllSum Σ over valid rows of the plain negative log-likelihood lse − z_y in nats, without
 *     smoothing or z-loss (for perplexity and bits per byte)
 * @param validTokens rows whose target is not the ignore index
 * @param correct valid rows whose arg-max logit equals the target (for accuracy)
 */
public record LossResult(Tensor loss, double nllSum, long validTokens, long correct) {
    /** Mean NLL per valid token in nats (NaN when there are none). */
    public double meanNll() {
        return validTokens == 0 ? Double.NaN : nllSum / validTokens;
    }

    /** exp(mean NLL). */
    public double perplexity() {
        return LmMetrics.perplexity(meanNll());
    }

    /** correct / validTokens (NaN when there are none). */
    public double accuracy() {
        return validTokens == 0 ? Double.NaN : (double) correct / validTokens;
    }
}
