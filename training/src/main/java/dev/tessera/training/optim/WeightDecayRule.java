package dev.tessera.training.optim;

import dev.tessera.nn.Parameter;

/** Which parameters receive weight decay. */
public enum WeightDecayRule {
    /** Rank ≥ 2 only: matrices and embeddings decay; biases and norm gains (rank 1) do not (nanoGPT, GPT-3). */
    MATRICES_ONLY,
    /** Every parameter. */
    ALL,
    /** No parameter. */
    NONE;

    /** Whether {@code p} decays under this rule. */
    public boolean decays(Parameter p) {
        return switch (this) {
            case MATRICES_ONLY -> p.rank() >= 2;
            case ALL -> true;
            case NONE -> false;
        };
    }
}
