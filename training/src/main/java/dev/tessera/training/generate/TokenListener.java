package dev.tessera.training.generate;

/**
 * Receives each generated token as soon as it is chosen (streaming output), in batch order within
 * a step. Called on the generating thread; a slow listener slows generation.
 */
@FunctionalInterface
public interface TokenListener {
    /** Ignores every token. */
    TokenListener NONE = (sequence, token, finish) -> {};

    /**
     * @param sequence index of the sequence in the prompts passed to the generator
     * @param token the new token id
     * @param finish why the sequence stopped when this is its last token, else null
     */
    void onToken(int sequence, int token, FinishReason finish);
}
