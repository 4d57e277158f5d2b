package dev.tessera.rlhf.model;

import dev.tessera.nn.Parameter;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.WeightDecayRule;
import java.util.Map;

/**
 * Optimiser settings shared by the SFT, reward-model, PPO and DPO trainers: AdamW with
 * betas (0.9, 0.95) and global-norm gradient clipping.
 *
 * @param learningRate typical 1e-3 for the tiny demo models, 1e-5 for real fine-tuning
 * @param weightDecay decoupled weight decay on matrices, typical 0 for fine-tuning
 * @param maxGradNorm global-norm clip, typical 1.0
 */
public record TrainSettings(double learningRate, double weightDecay, double maxGradNorm) {
    public TrainSettings {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("TrainSettings: learningRate must be finite and > 0 but was " + learningRate);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("TrainSettings: weightDecay must be finite and >= 0 but was " + weightDecay);
        }
        if (!(maxGradNorm > 0)) {
            throw new IllegalArgumentException("TrainSettings: maxGradNorm must be > 0 (or +inf) but was " + maxGradNorm);
        }
    }

    /** The learning rate, no weight decay, clip at 1. */
    public static TrainSettings of(double learningRate) {
        return new TrainSettings(learningRate, 0, 1.0);
    }

    /** AdamW over {@code params}. */
    public AdamW optimizer(Map<String, Parameter> params) {
        return new AdamW(params, new AdamWConfig(learningRate, 0.9, 0.95, 1e-8, weightDecay, WeightDecayRule.MATRICES_ONLY));
    }
}
