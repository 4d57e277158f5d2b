package dev.tessera.rlhf.grpo;

/**
 * How {@link GroupPolicyTrainer} turns the k scores of one prompt's samples into advantages, and
 * where the KL to the reference enters.
 */
public enum GroupMethod {
    /**
     * GRPO (Shao et al. 2024, DeepSeekMath §4.1): A_i = (r_i − mean(r)) / (std(r) + ε) within the
     * group, the same for every token of completion i; the KL to the reference is a term of the
     * loss, β · k3 per token with k3 = e^{ref − logp} − (ref − logp) − 1.
     */
    GRPO,
    /**
     * RLOO (Ahmadian et al. 2024, "Back to Basics"): the reward is penalised by the sequence's KL
     * to the reference, r_i − β·Σ_t (logp − ref), as in the paper, and A_i = r_i − mean of the
     * other k − 1 penalised rewards; no KL term in the loss.
     */
    RLOO
}
