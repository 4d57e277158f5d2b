package dev.tessera.rlhf.ppo;

/** Scores sampled responses: a reward model in RLHF, a rule in tests. */
@FunctionalInterface
public interface RewardFunction {
    /** One score per rollout, in order. */
    double[] score(Rollouts rollouts);
}
