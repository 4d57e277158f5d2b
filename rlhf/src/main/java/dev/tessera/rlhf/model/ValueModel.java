package dev.tessera.rlhf.model;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * PPO's critic: V(s_t) = w·h_t + b for every position t, on either the policy's own hidden
 * states (a shared trunk: one forward serves both, as TRL's value head) or a separate trunk
 * (InstructGPT initialises the value function from the reward model). Only the parameters this
 * model owns are registered: a shared trunk's parameters belong to the policy.
 */
public final class ValueModel extends Module {
    private final CausalLm trunk; // null when the policy's hidden states are used
    private final Linear head; // (C, 1)

    private ValueModel(CausalLm trunk, Linear head) {
        this.trunk = trunk;
        if (trunk != null) {
            registerModule("trunk", trunk.module());
        }
        this.head = registerModule("head", head);
    }

    /** A fresh head on the policy's hidden states. */
    public static ValueModel sharedTrunk(CausalLm policy, Rng rng) {
        return new ValueModel(null, new Linear(policy.hiddenSize(), 1, true, rng, policy.dtype()));
    }

    /** A head on the policy's hidden states, initialised with the reward model's head (same width required). */
    public static ValueModel sharedTrunkWithRewardHead(CausalLm policy, RewardModel rewardModel) {
        if (policy.hiddenSize() != rewardModel.trunk().hiddenSize()) {
            throw new IllegalArgumentException("ValueModel: the reward head has width " + rewardModel.trunk().hiddenSize()
                    + " but the policy's hidden states have width " + policy.hiddenSize());
        }
        return new ValueModel(null, copyOf(rewardModel.head(), rewardModel.offset()));
    }

    /**
     * A separate critic: a copy of the reward model's trunk and head (InstructGPT's initialisation).
     * The copy is a sensible start for a {@link RewardModel.Readout#LAST_TOKEN} reward model, whose
     * head estimates the return from any position; a {@link RewardModel.Readout#RESPONSE_SUM} head
     * scores single tokens, so there it only gives the critic a trained trunk.
     */
    public static ValueModel copyOfRewardModel(RewardModel rewardModel) {
        RewardModel c = rewardModel.copy();
        return new ValueModel(c.trunk(), copyOf(c.head(), c.offset()));
    }

    /** The head with the normalisation offset folded into its bias, so values start on the reward's scale. */
    private static Linear copyOf(Linear h, double offset) {
        return new Linear(new Parameter(h.weight().data().dup()), new Parameter(h.bias().data().add(offset)));
    }

    /** Whether values are read from the policy's hidden states. */
    public boolean sharesPolicyTrunk() {
        return trunk == null;
    }

    /**
     * Values (B, T) at every position.
     *
     * @param policyHidden the policy's hidden states (B, T, C) of {@code ids} (used when shared)
     * @param ids (B, T) the sequences (forwarded through the separate trunk otherwise)
     */
    public Tensor values(Tensor policyHidden, INDArray ids) {
        Tensor h = trunk == null ? policyHidden : trunk.hidden(ids, null); // (B, T, C)
        long b = h.size(0), t = h.size(1);
        return head.forward(h).reshape(b, t);
    }

    public Linear head() {
        return head;
    }
}
