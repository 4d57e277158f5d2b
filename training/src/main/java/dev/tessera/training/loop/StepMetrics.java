package dev.tessera.training.loop;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one optimizer step did.
 *
 * @param step steps completed, counting this one (1-based)
 * @param maxSteps the run's total
 * @param loss the step's objective: Σ loss over its counted items / their count
 * @param lr the learning rate used
 * @param gradNorm the global gradient norm before clipping
 * @param tokens counted items in the step: valid (trained-on) tokens for language models,
 *     ranked prompts or preference pairs for the RLHF objectives
 * @param seconds wall time of the step
 * @param metrics the objective's further metrics for the step (e.g. {@code accuracy}), as means
 */
public record StepMetrics(long step, long maxSteps, double loss, double lr, double gradNorm, long tokens, double seconds,
        Map<String, Double> metrics) {
    public StepMetrics {
        // insertion order kept, so logs list the metrics as the objective reports them
        metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /** tokens / seconds. */
    public double tokensPerSecond() {
        return seconds > 0 ? tokens / seconds : Double.NaN;
    }

    /** The named metric, NaN when the objective did not report it. */
    public double metric(String name) {
        return metrics.getOrDefault(name, Double.NaN);
    }
}
