package dev.tessera.training.data;

import dev.tessera.core.Require;
import dev.tessera.tokenizer.Tokenizer;

/** A {@link dev.tessera.tokenizer.Tokenizer} as a {@link TextEncoder}: ordinary text only, special-token spellings stay plain text. */
public final class TokenizerEncoder implements TextEncoder {
    private final Tokenizer tokenizer;

    public TokenizerEncoder(Tokenizer tokenizer) {
        Require.nonNull("tokenizer", tokenizer);
        this.tokenizer = tokenizer;
    }

    @Override
    public int[] encode(String text) {
        return tokenizer.encodeOrdinary(text);
    }

    @Override
    public int vocabSize() {
        return tokenizer.vocabSize();
    }
}
