package dev.tessera.tokenizer;

/**
 * A batch of encoded texts, row {@code i} for text {@code i}: ids, attention mask (1 for a
 * real token, 0 for padding) and the char span of each token in its text ({@code [0, 0)}
 * at padded positions). Rows have equal length unless padding is NONE.
 */
public record EncodedBatch(int[][] ids, int[][] attentionMask, int[][] starts, int[][] ends) {
    /** Number of texts. */
    public int size() {
        return ids.length;
    }
}
