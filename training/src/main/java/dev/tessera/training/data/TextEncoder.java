package dev.tessera.training.data;

/** What the data pipeline needs from a tokenizer. */
public interface TextEncoder {
    /** Token ids of {@code text}, each in [0, {@link #vocabSize()}). */
    int[] encode(String text);

    int vocabSize();
}
