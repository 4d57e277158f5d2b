package dev.tessera.rlhf.model;

import dev.tessera.nn.Parameter;
import dev.tessera.training.loop.OnNonFinite;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.GradClip;
import dev.tessera.training.optim.WeightDecayRule;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Optimiser settings shared by the SFT, reward-model, PPO and DPO trainers: AdamW with
 * betas (0.9, 0.95), global-norm gradient clipping, and what to do with a non-finite step.
 *
 * @param learningRate typical 1e-3 for the tiny demo models, 1e-5 for real fine-tuning
 * @param weightDecay decoupled weight decay on matrices, typical 0 for fine-tuning
 * @param maxGradNorm global-norm clip, typical 1.0
 * @param onNonFinite when a step's loss or global gradient norm is NaN/Inf: stop with an error
 *     naming the step (default) or skip the step; either way nothing of it is applied
 */
public record TrainSettings(double learningRate, double weightDecay, double maxGradNorm, OnNonFinite onNonFinite) {
    private static final Logger LOG = LoggerFactory.getLogger(TrainSettings.class);

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
        if (onNonFinite == null) {
            throw new IllegalArgumentException("TrainSettings: onNonFinite must not be null");
        }
    }

    /** The settings with {@link OnNonFinite#STOP}. */
    public TrainSettings(double learningRate, double weightDecay, double maxGradNorm) {
        this(learningRate, weightDecay, maxGradNorm, OnNonFinite.STOP);
    }

    /** The learning rate, no weight decay, clip at 1, stop on NaN/Inf. */
    public static TrainSettings of(double learningRate) {
        return new TrainSettings(learningRate, 0, 1.0);
    }

    public TrainSettings withOnNonFinite(OnNonFinite action) {
        return new TrainSettings(learningRate, weightDecay, maxGradNorm, action);
    }

    /** AdamW over {@code params}. */
    public AdamW optimizer(Map<String, Parameter> params) {
        return new AdamW(params, new AdamWConfig(learningRate, 0.9, 0.95, 1e-8, weightDecay, WeightDecayRule.MATRICES_ONLY));
    }

    /**
     * Decides whether the optimiser may take the step whose loss was {@code loss} and whose
     * gradients (when the loss was finite, after backward) sit in {@code params}: clips them to
     * {@link #maxGradNorm} and returns true when the loss and the global norm are finite. Otherwise
     * nothing may be applied: with {@link OnNonFinite#STOP} this throws an
     * {@link IllegalStateException} naming {@code step} and the loss or the first parameter whose
     * gradient is not finite; with {@link OnNonFinite#SKIP_STEP} it clears the gradients, logs a
     * warning and returns false.
     *
     * @param step names the step in messages, e.g. "SFT step 12"
     */
    public boolean clipForStep(String step, double loss, Map<String, Parameter> params) {
        String bad = null;
        if (!Double.isFinite(loss)) {
            bad = "loss is " + loss;
        } else {
            double norm = GradClip.clipGlobalNorm(params.values(), maxGradNorm);
            if (!Double.isFinite(norm)) {
                String name = GradClip.firstNonFiniteGradient(params);
                bad = "gradient of '" + (name == null ? "?" : name) + "' is not finite (global norm " + norm + ")";
            }
        }
        if (bad == null) {
            return true;
        }
        for (Parameter p : params.values()) {
            p.zeroGrad();
        }
        if (onNonFinite == OnNonFinite.STOP) {
            throw new IllegalStateException(step + ": " + bad + "; stopped before applying it");
        }
        LOG.warn("{}: {}; step skipped", step, bad);
        return false;
    }
}
