package dev.tessera.training.loop;

/** Why a training run ended. */
public enum StopReason {
    /** maxSteps reached. */
    COMPLETED,
    /** The validation loss stopped improving for {@code patience} evaluations. */
    EARLY_STOPPED,
    /** {@link Trainer#requestStop()} was called. */
    STOP_REQUESTED,
    /**
     * A training loss or gradient was NaN/Inf (nothing from that step was applied or saved), or
     * the validation loss was (nothing after the last checkpoint was saved).
     */
    NON_FINITE
}
