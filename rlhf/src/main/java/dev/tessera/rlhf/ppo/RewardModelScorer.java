package dev.tessera.rlhf.ppo;

import dev.tessera.host.HostMemory;
import dev.tessera.core.GradMode;
import dev.tessera.rlhf.model.RewardModel;

/** A {@link RewardFunction} that runs a (frozen) reward model over the rollouts, without gradients. */
public final class RewardModelScorer implements RewardFunction {
    private final RewardModel model;

    public RewardModelScorer(RewardModel model) {
        this.model = model;
    }

    @Override
    public double[] score(Rollouts rollouts) {
        model.eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return HostMemory.toDoubleArray(model.scores(rollouts.batch()).data());
        }
    }
}
