package dev.tessera.training.optim;

import dev.tessera.core.Require;

/**
 * SGD with momentum as PyTorch's {@code torch.optim.SGD} (dampening 0):
 * <pre>
 *   d ← g + wd·p;   b ← d (first step) or μ·b + d;   p ← p − lr·(nesterov ? d + μ·b : b)
 * </pre>
 *
 * @param lr typical 0.1
 * @param momentum μ in [0, 1), typical 0.9
 * @param weightDecay coupled L2 (added to the gradient), typical 0 or 1e-4
 * @param nesterov Nesterov momentum (needs momentum &gt; 0)
 */
public record SgdConfig(double lr, double momentum, double weightDecay, boolean nesterov) {
    public SgdConfig {
        Require.nonNegative("lr", lr);
        Require.inHalfOpen("momentum", momentum, 0, 1);
        Require.nonNegative("weightDecay", weightDecay);
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("nesterov needs momentum > 0");
        }
    }
}
