package dev.tessera.rlhf.math;

/**
 * Per-token estimators of KL(π ‖ π_ref) from samples of π (Schulman, "Approximating KL
 * divergence", 2020). With logr = log π_ref(y) − log π(y) for y ~ π:
 */
public enum KlEstimator {
    /** k1 = log π − log π_ref = −logr: unbiased, high variance, can be negative per token. */
    K1,
    /** k3 = e^{logr} − 1 − logr: unbiased, always ≥ 0, lower variance. */
    K3
}
