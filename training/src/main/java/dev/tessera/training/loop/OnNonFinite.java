package dev.tessera.training.loop;

/**
 * What a training loop does when a step's loss or global gradient norm is NaN or infinite. In
 * both cases nothing from that step reaches the weights or the optimizer's state.
 */
public enum OnNonFinite {
    /**
     * End training with an error that names the step and the tensor (the loss, or the first
     * parameter whose gradient is not finite). The default: in float32/float64 training a
     * non-finite value is almost always a bug or a divergence that skipping would hide.
     */
    STOP,
    /**
     * Drop the step's gradients, log a warning, count the step as skipped and go on with the next
     * batch (as mixed-precision loss scaling does after an overflow).
     */
    SKIP_STEP
}
