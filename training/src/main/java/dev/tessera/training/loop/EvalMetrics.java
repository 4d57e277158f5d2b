package dev.tessera.training.loop;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A validation pass.
 *
 * @param step steps completed when it ran
 * @param loss the objective's mean loss per counted item (for language models the mean
 *     next-token or masked-token NLL per valid token, nats)
 * @param accuracy the objective's {@code accuracy} metric (language models: fraction of valid
 *     tokens whose arg-max prediction is the target), NaN when it reports none
 * @param tokens items evaluated: valid tokens for language models, the objective's count otherwise
 * @param metrics every metric the objective reported, as means over the validation set
 */
public record EvalMetrics(long step, double loss, double accuracy, long tokens, Map<String, Double> metrics) {
    public EvalMetrics {
        // insertion order kept, so logs list the metrics as the objective reports them
        metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    public double perplexity() {
        return Math.exp(loss);
    }
}
