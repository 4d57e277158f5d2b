package dev.tessera.training.loop;

import dev.tessera.core.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an {@link Objective} computed for one batch.
 *
 * @param loss scalar to differentiate: Σ per-item loss over the batch / the normalizer the
 *     trainer passed (the step's total count), so the micro-batches' losses add up to the step's mean
 * @param sum Σ per-item loss over the batch as reported (for language models the plain
 *     negative log-likelihood in nats, without label smoothing or z-loss), for evaluation means
 * @param count the items the loss averages over (valid target tokens, ranked prompts, preference pairs)
 * @param metrics further named figures of the batch (e.g. {@code accuracy}), each a sum and its weight
 */
public record BatchLoss(Tensor loss, double sum, long count, Map<String, MetricSum> metrics) {
    public BatchLoss {
        if (loss == null) {
            throw new IllegalArgumentException("loss must not be null");
        }
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0 but was " + count);
        }
        // insertion order kept, so logs list the metrics as the objective reports them
        metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }
}
