package dev.tessera.training.optim;

import dev.tessera.core.Require;

/**
 * AdamW hyper-parameters (Loshchilov and Hutter, decoupled weight decay), PyTorch's defaults
 * except the decay rule.
 *
 * @param lr learning rate, typical 3e-4 (a schedule may override it each step)
 * @param beta1 typical 0.9
 * @param beta2 typical 0.95 for LMs (PyTorch default 0.999)
 * @param eps typical 1e-8
 * @param weightDecay typical 0.1 for LMs (PyTorch default 0.01)
 * @param decayRule which parameters decay, typical {@link WeightDecayRule#MATRICES_ONLY}
 */
public record AdamWConfig(double lr, double beta1, double beta2, double eps, double weightDecay,
        WeightDecayRule decayRule) {
    public AdamWConfig {
        Require.nonNegative("lr", lr);
        Require.inHalfOpen("beta1", beta1, 0, 1);
        Require.inHalfOpen("beta2", beta2, 0, 1);
        Require.positive("eps", eps);
        Require.nonNegative("weightDecay", weightDecay);
        Require.nonNull("decayRule", decayRule);
    }

    /** lr, betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on matrices only. */
    public static AdamWConfig lm(double lr) {
        return new AdamWConfig(lr, 0.9, 0.95, 1e-8, 0.1, WeightDecayRule.MATRICES_ONLY);
    }
}
