package dev.tessera.training.optim;

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
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("lr must be finite and >= 0 but was " + lr);
        }
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("beta1 must be in [0, 1) but was " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta2 must be in [0, 1) but was " + beta2);
        }
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("eps must be finite and > 0 but was " + eps);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay must be finite and >= 0 but was " + weightDecay);
        }
        if (decayRule == null) {
            throw new IllegalArgumentException("decayRule must not be null");
        }
    }

    /** lr, betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on matrices only. */
    public static AdamWConfig lm(double lr) {
        return new AdamWConfig(lr, 0.9, 0.95, 1e-8, 0.1, WeightDecayRule.MATRICES_ONLY);
    }
}
