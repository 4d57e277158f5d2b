package dev.tessera.rlhf.math;

import dev.tessera.core.Tensor;

/** Per-token KL estimates between the policy and a frozen reference model. */
public final class KlPenalty {
    private KlPenalty() {}

    /**
     * logp, refLogp (B, T) → (B, T) per-token KL estimate (see {@link KlEstimator}):
     * K1: logp − refLogp; K3: e^r − 1 − r with r = refLogp − logp.
     * <pre>{@code logp [-1], refLogp [-2]: K1 -> [1], K3 -> [e^-1 - 1 + 1] = [0.3679]}</pre>
     */
    public static Tensor perToken(Tensor logp, Tensor refLogp, KlEstimator estimator) {
        Masks.sameShape("KlPenalty.perToken", "logp", logp, "refLogp", refLogp);
        return switch (estimator) {
            case K1 -> logp.sub(refLogp);
            case K3 -> {
                Tensor r = refLogp.sub(logp);
                yield r.exp().sub(r).add(-1.0);
            }
        };
    }
}
