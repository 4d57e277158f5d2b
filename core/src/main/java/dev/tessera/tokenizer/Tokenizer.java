package dev.tessera.tokenizer;

import java.util.Map;
import java.util.Set;

/**
 * A text tokenizer: text to token ids and back.
 *
 * <p>Special-token policy: {@link #encode(String)} and {@link #encodeOrdinary(String)} treat
 * text that spells a special token (such as {@code <|endoftext|>}) as ordinary text, so
 * untrusted input cannot inject control tokens. Only the special tokens a caller names in
 * {@link #encode(String, Set)} are recognised, and only for that call.
 *
 * <p>Example with {@code Tokenizers.cl100kBase()}:
 * <pre>
 * encode("hello world")                                  -> [15339, 1917]
 * encode("&lt;|endoftext|&gt;")                                -> [27, 91, 8862, 728, 428, 91, 29]
 * encode("&lt;|endoftext|&gt;", Set.of("&lt;|endoftext|&gt;"))      -> [100257]
 * decode(new int[] {15339, 1917})                        -> "hello world"
 * </pre>
 *
 * <p>Decoding: {@link #decode(int[])} is strict and throws {@link IllegalArgumentException}
 * naming the byte offset and the token when the ids' bytes are not valid UTF-8 (a multi-byte
 * character split across a truncated sequence, for example). {@link #decodeLossy(int[])}
 * replaces each malformed sequence with U+FFFD, like Python's {@code errors="replace"}.
 * {@link #decodeBytes(int[])} returns the raw bytes, which always round-trip.
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface Tokenizer {

    /** Encodes text, treating special-token spellings as ordinary text. */
    default int[] encode(String text) {
        return encodeOrdinary(text);
    }

    /**
     * Encodes text, recognising only the special tokens in {@code allowedSpecial}.
     *
     * @throws IllegalArgumentException if {@code allowedSpecial} names a token that is not a
     *         special token of this tokenizer
     */
    int[] encode(String text, Set<String> allowedSpecial);

    /** Encodes text with no special tokens at all. */
    int[] encodeOrdinary(String text);

    /**
     * Encodes text and returns, for each token, the span {@code [start, end)} of chars of
     * {@code text} it came from. A token holding part of a multi-byte character gets the
     * whole character's span, so neighbouring spans can overlap on that character.
     */
    Encoded encodeWithSpans(String text, Set<String> allowedSpecial);

    /** Strict UTF-8 decoding; see the class comment. */
    String decode(int[] ids);

    /** Lossy UTF-8 decoding (U+FFFD replacement); see the class comment. */
    String decodeLossy(int[] ids);

    /** Concatenated bytes of the tokens. */
    byte[] decodeBytes(int[] ids);

    /** One more than the largest token id. */
    int vocabSize();

    /** Special tokens and their ids. */
    Map<String, Integer> specialTokens();
}
