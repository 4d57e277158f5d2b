package dev.tessera.training.loop;

/**
 * What the {@link Trainer} minimises: for a batch, the loss tensor, the number of items it
 * averages over and named metrics. Next-token cross-entropy ({@link CrossEntropyObjective}) is
 * one; supervised fine-tuning, the reward model's ranking loss and DPO are others.
 *
 * <p>The trainer first asks every micro-batch of a step for its {@link #count}, sums them (over
 * the replicas too, in a data-parallel run) into the normalizer N, and then asks each for its
 * loss divided by N. So a step's gradient is that of the mean over all its items however the
 * items are split into micro-batches: 1×8 and 8×1 give the same update.
 *
 * @param <B> the batch type (token rows, ranked comparisons, preference pairs, ...)
 */
public interface Objective<B> {
    /** The items {@code batch}'s loss averages over (e.g. valid target tokens), ≥ 0; cheap, without a forward pass. */
    long count(B batch);

    /**
     * Forward pass and loss of {@code batch}: Σ per-item loss / {@code normalizer} (differentiable
     * when gradients are on), its plain sum, its count and metrics.
     *
     * @param normalizer &gt; 0: the step's total count, or the batch's own count for a plain mean
     */
    BatchLoss compute(B batch, double normalizer);
}
