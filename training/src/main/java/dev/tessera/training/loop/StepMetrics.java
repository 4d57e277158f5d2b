package dev.tessera.training.loop;

/**
 * What one optimizer step did.
 *
 * @param step steps completed, counting this one (1-based)
 * @param maxSteps the run's total
 * @param loss the step's objective: Σ loss over its valid tokens / their count
 * @param lr the learning rate used
 * @param gradNorm the global gradient norm before clipping
 * @param tokens valid (trained-on) tokens in the step
 * @param seconds wall time of the step
 */
public record StepMetrics(long step, long maxSteps, double loss, double lr, double gradNorm, long tokens, double seconds) {
    /** tokens / seconds. */
    public double tokensPerSecond() {
        return seconds > 0 ? tokens / seconds : Double.NaN;
    }
}
