package dev.tessera.training.loop;

import dev.tessera.training.data.Batch;
import dev.tessera.training.loss.CrossEntropy;
import dev.tessera.training.loss.CrossEntropyOptions;
import dev.tessera.training.loss.LossResult;
import java.util.Map;

/**
 * Language-model pretraining: cross-entropy of the model's logits (B, T, V) against the batch's
 * aligned targets (next tokens for GPT, masked tokens for BERT), averaged over the valid targets.
 * Its metric {@code accuracy} is the fraction of valid targets whose arg-max logit is the target.
 */
public final class CrossEntropyObjective implements Objective<Batch> {
    private final ForwardFunction forward;
    private final CrossEntropyOptions options;

    /**
     * @param forward the model: a batch's inputs → logits (B, T, V)
     * @param options ignore index, label smoothing, z-loss
     */
    public CrossEntropyObjective(ForwardFunction forward, CrossEntropyOptions options) {
        if (forward == null || options == null) {
            throw new IllegalArgumentException("forward and options must not be null");
        }
        this.forward = forward;
        this.options = options;
    }

    @Override
    public long count(Batch batch) {
        return CrossEntropy.countValid(batch.targets(), options.ignoreIndex());
    }

    @Override
    public BatchLoss compute(Batch batch, double normalizer) {
        LossResult r = CrossEntropy.loss(forward.logits(batch), batch.targets(), options, normalizer);
        return new BatchLoss(r.loss(), r.nllSum(), r.validTokens(),
                Map.of("accuracy", new MetricSum(r.correct(), r.validTokens())));
    }
}
