package dev.tessera.tokenizer;

/**
 * Code point classes used by the hand-written pre-tokenisation scanners, with the exact
 * semantics of the Unicode classes in tiktoken's regexes: {@code \p{L}} (split into
 * Lu/Lt, Ll and Lm/Lo so that o200k's case-aware rules can be expressed), {@code \p{M}},
 * {@code \p{N}} and {@code \s} (the Unicode White_Space property, which is what Rust's
 * {@code regex} crate and Java's {@code UNICODE_CHARACTER_CLASS} use; note that
 * {@link Character#isWhitespace} is different: it excludes U+00A0/U+2007/U+202F and includes
 * U+001C..U+001F).
 *
 * <p>Performance: the class of every BMP code point is precomputed into a 64 KiB table at
 * class-load time (about 1 ms), so the scanners do one array load per character instead of
 * a {@link Character#getType} call. Supplementary code points fall back to getType.
 * Category data come from the running JVM's Unicode version (Java 17: Unicode 13), as in
 * jtokkit; tiktoken's Rust regex uses a newer Unicode, which only matters for code points
 * assigned after Unicode 13.
 */
final class CharClass {
    static final byte OTHER = 0;
    static final byte UPPER = 1;   // Lu, Lt
    static final byte LOWER = 2;   // Ll
    static final byte LETTER_OTHER = 3; // Lm, Lo
    static final byte MARK = 4;    // Mn, Mc, Me
    static final byte NUMBER = 5;  // Nd, Nl, No
    static final byte SPACE = 6;   // White_Space except \r and \n
    static final byte NEWLINE = 7; // \r, \n

    private static final byte[] BMP = new byte[0x10000];

    static {
        for (int c = 0; c < 0x10000; c++) {
            BMP[c] = compute(c);
        }
    }

    private CharClass() {
    }

    private static byte compute(int c) {
        if (c == '\r' || c == '\n') {
            return NEWLINE;
        }
        if ((c >= 0x09 && c <= 0x0D) || c == 0x85 || Character.isSpaceChar(c)) {
            return SPACE; // White_Space = Zs + Zl + Zp + U+0009..U+000D + U+0085
        }
        switch (Character.getType(c)) {
            case Character.UPPERCASE_LETTER:
            case Character.TITLECASE_LETTER:
                return UPPER;
            case Character.LOWERCASE_LETTER:
                return LOWER;
            case Character.MODIFIER_LETTER:
            case Character.OTHER_LETTER:
                return LETTER_OTHER;
            case Character.NON_SPACING_MARK:
            case Character.COMBINING_SPACING_MARK:
            case Character.ENCLOSING_MARK:
                return MARK;
            case Character.DECIMAL_DIGIT_NUMBER:
            case Character.LETTER_NUMBER:
            case Character.OTHER_NUMBER:
                return NUMBER;
            default:
                return OTHER;
        }
    }

    /** Class of a code point. */
    static byte of(int cp) {
        return cp < 0x10000 ? BMP[cp] : compute(cp);
    }

    static boolean isLetter(byte k) {
        return k >= UPPER && k <= LETTER_OTHER;
    }

    static boolean isSpace(byte k) {
        return k >= SPACE;
    }

    /** {@code [^\s\p{L}\p{N}]}: punctuation, symbols, marks, controls, unassigned. */
    static boolean isOther(byte k) {
        return k == OTHER || k == MARK;
    }

    /** {@code [^\r\n\p{L}\p{N}]}. */
    static boolean isPrefixable(byte k) {
        return k == OTHER || k == MARK || k == SPACE;
    }
}
