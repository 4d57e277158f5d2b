package dev.tessera.training.generate;

/** Why one sequence stopped growing. */
public enum FinishReason {
    /** It emitted a stop token (included in its output). */
    STOP_TOKEN,
    /** It reached maxNewTokens. */
    MAX_NEW_TOKENS,
    /** It reached the model's context length. */
    CONTEXT_FULL
}
