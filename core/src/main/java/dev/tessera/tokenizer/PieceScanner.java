package dev.tessera.tokenizer;

/**
 * Splits text into pre-tokenisation pieces, one piece per call, exactly as a tiktoken regex
 * would with {@code find_iter} over {@code text[start, limit)} (so {@code limit} acts as the
 * end of the text for {@code $} and {@code (?!\S)}).
 *
 * <p>Implementations are hand-written scanners: each call looks at every character of the
 * returned piece a bounded number of times (at most twice), so a whole text is split in
 * linear time, with no backtracking and no recursion, whatever the input.
 *
 * <p>Text is read through {@link CharSequence} (always a {@code String} in production, so
 * the JIT sees one receiver type) so that a complexity test can hand a scanner a view that
 * counts the characters it reads ({@link EncodeWork}).
 */
interface PieceScanner {
    /**
     * @param text  the text
     * @param start start of the next piece, {@code start < limit}
     * @param limit end of the current segment (text length or the start of a special token)
     * @return the end (exclusive) of the piece starting at {@code start}; always {@code > start}
     */
    int next(CharSequence text, int start, int limit);

    /**
     * Start of the next piece at or after {@code start}: text before it is dropped (a Hugging
     * Face Split with behaviour {@code Removed} and {@code invert: true} whose regex leaves
     * gaps). The tiktoken scanners match every character and return {@code start}.
     *
     * @return a position in {@code [start, limit]}; {@code limit} when no piece is left
     */
    default int skip(CharSequence text, int start, int limit) {
        return start;
    }

    /** Code point at {@code i}; a lone surrogate is returned as itself (class OTHER). */
    static int codePointAt(CharSequence s, int i, int limit) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < limit) {
            char d = s.charAt(i + 1);
            if (Character.isLowSurrogate(d)) {
                return Character.toCodePoint(c, d);
            }
        }
        return c;
    }

    static int charCount(int cp) {
        return cp >= 0x10000 ? 2 : 1;
    }

    /** Class of the code point at i (no bounds check on limit needed by callers: i < limit). */
    static byte classAt(CharSequence s, int i, int limit) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return CharClass.of(codePointAt(s, i, limit));
        }
        return CharClass.of(c);
    }

    /** Width in chars of the code point at i. */
    static int widthAt(CharSequence s, int i, int limit) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < limit
                && Character.isLowSurrogate(s.charAt(i + 1)) ? 2 : 1;
    }

    /**
     * Shared tail of all three patterns for a whitespace start:
     * {@code \s*[\r\n]} (only when {@code newlineRule}), then {@code \s+(?!\S)}, then {@code \s+}.
     * All White_Space code points are in the BMP, so stepping back one char is one code point.
     */
    static int whitespace(CharSequence s, int start, int limit, boolean newlineRule) {
        int e = start;
        int lastNewline = -1;
        while (e < limit) {
            char c = s.charAt(e);
            byte k = CharClass.of(c); // surrogates are not whitespace, so char-wise is exact
            if (k == CharClass.NEWLINE) {
                lastNewline = e;
            } else if (k != CharClass.SPACE) {
                break;
            }
            e++;
        }
        if (newlineRule && lastNewline >= 0) {
            return lastNewline + 1;       // \s*[\r\n]: longest prefix ending in \r or \n
        }
        if (e == limit || e - start == 1) {
            return e;                     // \s+(?!\S) at end of text, or the single-char \s+
        }
        return e - 1;                     // \s+(?!\S): leave the last space for the next piece
    }
}
