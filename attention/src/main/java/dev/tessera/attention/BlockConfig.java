package dev.tessera.attention;

import dev.tessera.core.Require;

/**
 * One transformer block. Typical: GPT-2, pre-norm LayerNorm eps 1e-5, GELU-tanh MLP 4C wide with
 * bias, dropout 0.1; BERT, post-norm LayerNorm eps 1e-12, exact GELU; Llama 2 7B, pre-norm RmsNorm
 * eps 1e-5, SwiGLU 11008 wide without bias, no dropout.
 *
 * @param attention the attention layer
 * @param norm LayerNorm or RmsNorm
 * @param normEps the norm's epsilon, > 0
 * @param preNorm pre-LN ({@code x + f(norm(x))}) or post-LN ({@code norm(x + f(x))})
 * @param mlp the feed-forward kind
 * @param mlpHidden the feed-forward width (4C for GPT-2 / BERT)
 * @param mlpBias whether the feed-forward projections have biases
 * @param residDropout dropout on each residual branch in training, in [0, 1)
 */
public record BlockConfig(AttentionConfig attention, NormKind norm, double normEps, boolean preNorm, MlpKind mlp,
        int mlpHidden, boolean mlpBias, double residDropout) {

    public BlockConfig {
        if (attention == null || norm == null || mlp == null) {
            throw new IllegalArgumentException("attention, norm and mlp must not be null");
        }
        if (!(normEps > 0)) {
            throw new IllegalArgumentException("normEps must be > 0 (1e-5 is typical) but was " + normEps);
        }
        if (mlpHidden <= 0) {
            throw new IllegalArgumentException("mlpHidden must be > 0 (4·nEmbd is typical) but was " + mlpHidden);
        }
        Require.inHalfOpen("residDropout", residDropout, 0, 1);
    }
}
