package dev.tessera.attention;

/** How attention sees token positions. */
public enum PositionEncoding {
    /** None inside attention: learned absolute embeddings added by the model (GPT-2, BERT), or none at all. */
    ABSOLUTE,
    /** Rotary embeddings on queries and keys ({@link Rope}; Llama). */
    ROPE,
    /** Linear score biases per head ({@link Alibi}; BLOOM, MPT). */
    ALIBI
}
