package dev.tessera.rlhf.ppo;

/**
 * Chooses the KL coefficient β of the per-token penalty, updated once per PPO batch.
 * Implementations: {@link FixedKlController}, {@link AdaptiveKlController}.
 */
public sealed interface KlController permits FixedKlController, AdaptiveKlController {
    /** The current β. */
    double beta();

    /**
     * Reports the KL to the reference measured on the latest rollouts (mean over sequences of the
     * summed per-token KL) and how many sequences it covered.
     */
    void update(double observedKl, long sequences);

    /**
     * Restores β from a checkpoint: an adaptive controller's only state. A fixed controller
     * accepts only its own β (a checkpoint of another run is an error, not silently ignored).
     */
    void restoreBeta(double beta);
}
