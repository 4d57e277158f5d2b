package dev.tessera.training.optim;

import dev.tessera.nn.Parameter;
import java.util.Map;

/**
 * How a training stage builds its optimizer and learning-rate schedule: AdamW's settings (peak
 * learning rate, betas, eps, weight decay and which parameters decay) and the schedule's shape,
 * warm-up and floor. The run length is given when the schedule is built, so one settings value
 * serves runs of any length.
 *
 * @param adamW learning rate (the schedule's peak), betas, eps, weight decay, decay rule
 * @param scheduleKind the schedule's shape after warm-up, e.g. {@link ScheduleKind#CONSTANT} for
 *     short fine-tuning runs or {@link ScheduleKind#COSINE}
 * @param warmupSteps linear warm-up steps W, ≥ 0 (0: none)
 * @param minLrFraction the floor as a fraction of the peak, in [0, 1], e.g. 0.1 (unused by CONSTANT)
 */
public record OptimizerSettings(AdamWConfig adamW, ScheduleKind scheduleKind, long warmupSteps, double minLrFraction) {
    public OptimizerSettings {
        if (adamW == null || scheduleKind == null) {
            throw new IllegalArgumentException("adamW and scheduleKind must not be null");
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps must be >= 0 but was " + warmupSteps);
        }
        if (!(minLrFraction >= 0 && minLrFraction <= 1)) {
            throw new IllegalArgumentException("minLrFraction must be in [0, 1] but was " + minLrFraction);
        }
        if (scheduleKind == ScheduleKind.WARMUP_STABLE_DECAY) {
            throw new IllegalArgumentException("scheduleKind WARMUP_STABLE_DECAY needs decay steps; build its LrSchedule directly");
        }
    }

    /**
     * Fine-tuning defaults: AdamW at {@code lr} with betas (0.9, 0.95), eps 1e-8, no weight decay
     * (matrices only when set), a constant rate without warm-up.
     */
    public static OptimizerSettings adamW(double lr) {
        return new OptimizerSettings(new AdamWConfig(lr, 0.9, 0.95, 1e-8, 0, WeightDecayRule.MATRICES_ONLY),
                ScheduleKind.CONSTANT, 0, 1.0);
    }

    /** The peak learning rate. */
    public double learningRate() {
        return adamW.lr();
    }

    /** AdamW over {@code params}, decaying per the config's rule. */
    public AdamW optimizer(Map<String, Parameter> params) {
        return new AdamW(params, adamW);
    }

    /**
     * The schedule of a run of {@code totalSteps} optimizer steps (&gt; warmupSteps unless the
     * shape is constant without warm-up).
     */
    public LrSchedule schedule(long totalSteps) {
        if (scheduleKind == ScheduleKind.CONSTANT && warmupSteps == 0) {
            return LrSchedule.constant(adamW.lr());
        }
        if (totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("totalSteps must be > warmupSteps = " + warmupSteps + " but was " + totalSteps);
        }
        return new LrSchedule(scheduleKind, adamW.lr(), adamW.lr() * minLrFraction, warmupSteps, totalSteps, 0);
    }

    public OptimizerSettings withLearningRate(double lr) {
        return withAdamW(new AdamWConfig(lr, adamW.beta1(), adamW.beta2(), adamW.eps(), adamW.weightDecay(), adamW.decayRule()));
    }

    public OptimizerSettings withBetas(double beta1, double beta2) {
        return withAdamW(new AdamWConfig(adamW.lr(), beta1, beta2, adamW.eps(), adamW.weightDecay(), adamW.decayRule()));
    }

    public OptimizerSettings withEps(double eps) {
        return withAdamW(new AdamWConfig(adamW.lr(), adamW.beta1(), adamW.beta2(), eps, adamW.weightDecay(), adamW.decayRule()));
    }

    public OptimizerSettings withWeightDecay(double weightDecay, WeightDecayRule rule) {
        return withAdamW(new AdamWConfig(adamW.lr(), adamW.beta1(), adamW.beta2(), adamW.eps(), weightDecay, rule));
    }

    public OptimizerSettings withAdamW(AdamWConfig c) {
        return new OptimizerSettings(c, scheduleKind, warmupSteps, minLrFraction);
    }

    /** A schedule of shape {@code kind} with {@code warmupSteps} of warm-up, decaying to {@code minLrFraction} of the peak. */
    public OptimizerSettings withSchedule(ScheduleKind kind, long warmupSteps, double minLrFraction) {
        return new OptimizerSettings(adamW, kind, warmupSteps, minLrFraction);
    }
}
