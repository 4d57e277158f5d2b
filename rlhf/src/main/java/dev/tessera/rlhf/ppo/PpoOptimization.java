package dev.tessera.rlhf.ppo;

import dev.tessera.training.loop.OnNonFinite;
import dev.tessera.training.optim.OptimizerSettings;

/**
 * How PPO updates its two models: the policy's and the critic's optimizer settings (AdamW
 * betas, eps, weight decay, learning rate, schedule with warm-up; the critic usually learns
 * faster than the policy), the length of the schedule, global-norm gradient clipping over both,
 * and what to do with a non-finite step. The learning rates follow their schedules per PPO
 * iteration (every minibatch step of an iteration uses that iteration's rates).
 *
 * @param policy the policy's optimizer and schedule
 * @param critic the value model's own parameters' optimizer and schedule (a value head on the
 *     policy's trunk: only the head; the trunk is the policy's)
 * @param iterations the schedules' length in PPO iterations, ≥ 1 (only decaying or warm-up
 *     schedules use it)
 * @param maxGradNorm global-norm clip over the policy's and the critic's gradients together, &gt; 0
 *     (+inf: none), typical 1.0
 * @param onNonFinite a minibatch step whose loss or global gradient norm is NaN/Inf: stop with an
 *     error naming it (default) or skip it; either way nothing of it is applied
 */
public record PpoOptimization(OptimizerSettings policy, OptimizerSettings critic, long iterations, double maxGradNorm,
        OnNonFinite onNonFinite) {
    public PpoOptimization {
        if (policy == null || critic == null || onNonFinite == null) {
            throw new IllegalArgumentException("PpoOptimization: policy, critic and onNonFinite must not be null");
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("PpoOptimization: iterations must be >= 1 but was " + iterations);
        }
        if (!(maxGradNorm > 0)) {
            throw new IllegalArgumentException("PpoOptimization: maxGradNorm must be > 0 (or +inf) but was " + maxGradNorm);
        }
        // a schedule that cannot be built for this length fails here, not at the first iteration
        policy.schedule(iterations);
        critic.schedule(iterations);
    }

    /** AdamW at {@code lr} for both models ({@link OptimizerSettings#adamW}), constant, clip 1, stop on NaN/Inf. */
    public static PpoOptimization of(double lr) {
        OptimizerSettings s = OptimizerSettings.adamW(lr);
        return new PpoOptimization(s, s, 1, 1.0, OnNonFinite.STOP);
    }

    public PpoOptimization withPolicy(OptimizerSettings s) {
        return new PpoOptimization(s, critic, iterations, maxGradNorm, onNonFinite);
    }

    public PpoOptimization withCritic(OptimizerSettings s) {
        return new PpoOptimization(policy, s, iterations, maxGradNorm, onNonFinite);
    }

    /** The critic's settings with learning rate {@code lr} (everything else as now). */
    public PpoOptimization withCriticLearningRate(double lr) {
        return withCritic(critic.withLearningRate(lr));
    }

    public PpoOptimization withIterations(long n) {
        return new PpoOptimization(policy, critic, n, maxGradNorm, onNonFinite);
    }

    public PpoOptimization withMaxGradNorm(double norm) {
        return new PpoOptimization(policy, critic, iterations, norm, onNonFinite);
    }

    public PpoOptimization withOnNonFinite(OnNonFinite action) {
        return new PpoOptimization(policy, critic, iterations, maxGradNorm, action);
    }
}
