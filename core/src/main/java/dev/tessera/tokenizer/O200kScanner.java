package dev.tessera.tokenizer;

import static dev.tessera.tokenizer.PieceScanner.classAt;
import static dev.tessera.tokenizer.PieceScanner.widthAt;

/**
 * Scanner for the o200k_base pattern, the alternation of
 * <pre>
 * [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 * [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 * \p{N}{1,3}
 *  ?[^\s\p{L}\p{N}]+[\r\n/]*
 * \s*[\r\n]+
 * \s+(?!\S)
 * \s+
 * </pre>
 * Call U = [Lu Lt Lm Lo M] and W = [Ll Lm Lo M]. The first alternative's backtracking
 * ({@code U*} giving characters back until {@code W+} can match) is resolved without
 * backtracking: after the maximal U-run [j, e), if the next character is Ll then W+ takes the
 * maximal W-run from e; otherwise the match ends just after the last Lm/Lo/M inside the run,
 * or fails if there is none. The optional prefix is tried first with, then without the
 * character, as the regex does. Each character is examined at most four times per piece,
 * and a failed scan is always followed by a piece covering the scanned U-run, so the whole
 * split is linear.
 */
final class O200kScanner implements PieceScanner {
    static final O200kScanner INSTANCE = new O200kScanner();

    private O200kScanner() {
    }

    private static boolean isU(byte k) {
        return k == CharClass.UPPER || k == CharClass.LETTER_OTHER || k == CharClass.MARK;
    }

    private static boolean isW(byte k) {
        return k == CharClass.LOWER || k == CharClass.LETTER_OTHER || k == CharClass.MARK;
    }

    @Override
    public int next(CharSequence s, int start, int limit) {
        byte k = classAt(s, start, limit);
        if (k == CharClass.LOWER) {
            // Fast path for the most common case: U* empty, W+ from here.
            return contraction(s, runW(s, start, limit), limit);
        }
        int w = widthAt(s, start, limit);
        boolean prefixable = CharClass.isPrefixable(k);
        // Alternative 1, with then without the optional prefix character.
        if (prefixable && start + w < limit) {
            int r = upperLower(s, start + w, limit);
            if (r >= 0) {
                return contraction(s, r, limit);
            }
        }
        if (isU(k)) {
            int r = upperLower(s, start, limit);
            if (r >= 0) {
                return contraction(s, r, limit);
            }
        }
        // Alternative 2: U+ W* (W* may be empty, so no backtracking is needed).
        if (prefixable && start + w < limit && isU(classAt(s, start + w, limit))) {
            return contraction(s, runW(s, runU(s, start + w, limit), limit), limit);
        }
        if (isU(k)) {
            return contraction(s, runW(s, runU(s, start, limit), limit), limit);
        }
        if (k == CharClass.NUMBER) {
            int e = start + w;
            for (int n = 1; n < 3 && e < limit && classAt(s, e, limit) == CharClass.NUMBER; n++) {
                e += widthAt(s, e, limit);
            }
            return e;
        }
        if (CharClass.isOther(k)) {
            return Cl100kScanner.otherRun(s, start, limit, true);
        }
        if (s.charAt(start) == ' ' && start + 1 < limit && CharClass.isOther(classAt(s, start + 1, limit))) {
            return Cl100kScanner.otherRun(s, start + 1, limit, true);
        }
        return PieceScanner.whitespace(s, start, limit, true);
    }

    /** {@code U*W+} from j: the end of the match, or -1. */
    private static int upperLower(CharSequence s, int j, int limit) {
        int e = j;
        int lastW = -1;
        while (e < limit) {
            byte k = classAt(s, e, limit);
            if (!isU(k)) {
                if (k == CharClass.LOWER) {
                    return runW(s, e, limit);
                }
                break;
            }
            e += widthAt(s, e, limit);
            if (k != CharClass.UPPER) {
                lastW = e;
            }
        }
        return lastW;
    }

    private static int runU(CharSequence s, int i, int limit) {
        int e = i;
        while (e < limit && isU(classAt(s, e, limit))) {
            e += widthAt(s, e, limit);
        }
        return e;
    }

    private static int runW(CharSequence s, int i, int limit) {
        int e = i;
        while (e < limit && isW(classAt(s, e, limit))) {
            e += widthAt(s, e, limit);
        }
        return e;
    }

    /** Optional {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)} at r. */
    private static int contraction(CharSequence s, int r, int limit) {
        if (r < limit && s.charAt(r) == '\'') {
            return Cl100kScanner.contraction(s, r, limit);
        }
        return r;
    }
}
