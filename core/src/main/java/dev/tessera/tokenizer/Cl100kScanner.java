package dev.tessera.tokenizer;

import static dev.tessera.tokenizer.PieceScanner.classAt;
import static dev.tessera.tokenizer.PieceScanner.widthAt;

/**
 * Scanner for the cl100k_base pattern
 * {@code '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+}.
 *
 * <p>The possessive {@code ?+} changes nothing here: a prefix character is never a letter,
 * so dropping it could not let {@code \p{L}+} match. Contractions are case-insensitive with
 * Unicode simple case folding, as in both Rust's regex and Java's UNICODE_CASE, so
 * {@code 'ſ} (U+017F LATIN SMALL LETTER LONG S) is a contraction like {@code 's}.
 */
final class Cl100kScanner implements PieceScanner {
    /** cl100k_base and Llama 3: numbers in groups of one to three digits. */
    static final Cl100kScanner INSTANCE = new Cl100kScanner(3);
    /** Qwen 2 / 2.5: the same pattern with {@code \p{N}} (one digit per piece). */
    static final Cl100kScanner SINGLE_DIGITS = new Cl100kScanner(1);

    private final int maxDigits;

    private Cl100kScanner(int maxDigits) {
        this.maxDigits = maxDigits;
    }

    @Override
    public int next(CharSequence s, int start, int limit) {
        char c = s.charAt(start);
        if (c == '\'') {
            int e = contraction(s, start, limit);
            if (e > start) {
                return e;
            }
        }
        byte k = classAt(s, start, limit);
        if (CharClass.isLetter(k)) {
            return R50kScanner.runLetters(s, start, limit);
        }
        int w = widthAt(s, start, limit);
        if (CharClass.isPrefixable(k) && start + w < limit && CharClass.isLetter(classAt(s, start + w, limit))) {
            return R50kScanner.runLetters(s, start + w, limit);
        }
        if (k == CharClass.NUMBER) {
            int e = start + w;
            for (int n = 1; n < maxDigits && e < limit && classAt(s, e, limit) == CharClass.NUMBER; n++) {
                e += widthAt(s, e, limit);
            }
            return e;
        }
        if (CharClass.isOther(k)) {
            return otherRun(s, start, limit, false);
        }
        if (c == ' ' && start + 1 < limit && CharClass.isOther(classAt(s, start + 1, limit))) {
            return otherRun(s, start + 1, limit, false);
        }
        return PieceScanner.whitespace(s, start, limit, true);
    }

    /** {@code [^\s\p{L}\p{N}]+} then {@code [\r\n]*} (o200k: {@code [\r\n/]*}). */
    static int otherRun(CharSequence s, int i, int limit, boolean slash) {
        int e = i;
        while (e < limit && CharClass.isOther(classAt(s, e, limit))) {
            e += widthAt(s, e, limit);
        }
        while (e < limit) {
            char c = s.charAt(e);
            if (c == '\r' || c == '\n' || (slash && c == '/')) {
                e++;
            } else {
                break;
            }
        }
        return e;
    }

    /**
     * Case-insensitive {@code '(s|t|re|ve|m|ll|d)} at {@code i} (which holds an apostrophe);
     * returns its end, or {@code i} if there is none.
     */
    static int contraction(CharSequence s, int i, int limit) {
        if (i + 1 >= limit) {
            return i;
        }
        char n = s.charAt(i + 1);
        switch (n) {
            case 's': case 'S': case '\u017F':
            case 't': case 'T':
            case 'm': case 'M':
            case 'd': case 'D':
                return i + 2;
            default:
                break;
        }
        if (i + 2 >= limit) {
            return i;
        }
        char m = s.charAt(i + 2);
        char n1 = (char) (n | 0x20);
        char m1 = (char) (m | 0x20);
        boolean asciiPair = n < 0x80 && m < 0x80;
        if (asciiPair && ((n1 == 'l' && m1 == 'l') || (n1 == 'v' && m1 == 'e') || (n1 == 'r' && m1 == 'e'))) {
            return i + 3;
        }
        return i;
    }
}
