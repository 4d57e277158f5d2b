package dev.tessera.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The model step of a SentencePiece-style tokenizer: one pre-tokenized word to token ids.
 * Implementations never produce the id of a special token, whatever the word spells.
 */
interface SubwordModel {

    /**
     * Appends the ids of {@code word} to {@code ids} and, for each id, the chars
     * {@code [start, end)} of {@code word} it covers to {@code starts} and {@code ends}
     * (byte-fallback tokens of one character all cover that character).
     */
    void tokenize(String word, IntArray ids, IntArray starts, IntArray ends);

    /** Id of each byte's {@code <0xAB>} token, or null when the model has no byte fallback. */
    static int[] byteTokenIds(Map<String, Integer> vocab) {
        int[] ids = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.format("<0x%02X>", b));
            ids[b] = id == null ? -1 : id;
        }
        return ids;
    }

    /**
     * Appends the byte-fallback tokens of {@code text}'s UTF-8 bytes, all covering
     * {@code [start, end)}; returns false (and appends nothing) when a byte has no token.
     */
    static boolean appendBytes(String text, int[] byteIds, int start, int end, IntArray ids, IntArray starts,
                               IntArray ends) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteIds[b & 0xFF] < 0) {
                return false;
            }
        }
        for (byte b : bytes) {
            ids.add(byteIds[b & 0xFF]);
            starts.add(start);
            ends.add(end);
        }
        return true;
    }
}
