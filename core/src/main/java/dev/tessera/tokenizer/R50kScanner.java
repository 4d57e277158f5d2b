package dev.tessera.tokenizer;

import static dev.tessera.tokenizer.PieceScanner.classAt;
import static dev.tessera.tokenizer.PieceScanner.widthAt;

/**
 * Scanner for the GPT-2 / r50k_base / p50k_base pattern
 * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}.
 * Contractions are case-sensitive and ASCII-only here; only a literal space (U+0020)
 * can prefix a word, number or punctuation run.
 */
final class R50kScanner implements PieceScanner {
    static final R50kScanner INSTANCE = new R50kScanner();

    private R50kScanner() {
    }

    @Override
    public int next(CharSequence s, int start, int limit) {
        char c = s.charAt(start);
        if (c == '\'' && start + 1 < limit) {
            char n = s.charAt(start + 1);
            if (n == 's' || n == 't' || n == 'm' || n == 'd') {
                return start + 2;
            }
            if (start + 2 < limit) {
                char m = s.charAt(start + 2);
                if ((n == 'r' && m == 'e') || (n == 'v' && m == 'e') || (n == 'l' && m == 'l')) {
                    return start + 3;
                }
            }
        }
        int i = start;
        byte k = classAt(s, i, limit);
        if (c == ' ' && i + 1 < limit) {
            byte k1 = classAt(s, i + 1, limit);
            if (!CharClass.isSpace(k1)) {
                i++;
                k = k1;
            }
        }
        if (CharClass.isLetter(k)) {
            return runLetters(s, i, limit);
        }
        if (k == CharClass.NUMBER) {
            return runOf(s, i, limit, CharClass.NUMBER);
        }
        if (CharClass.isOther(k)) {
            int e = i + widthAt(s, i, limit);
            while (e < limit && CharClass.isOther(classAt(s, e, limit))) {
                e += widthAt(s, e, limit);
            }
            return e;
        }
        return PieceScanner.whitespace(s, start, limit, false);
    }

    static int runLetters(CharSequence s, int i, int limit) {
        int e = i;
        while (e < limit && CharClass.isLetter(classAt(s, e, limit))) {
            e += widthAt(s, e, limit);
        }
        return e;
    }

    private static int runOf(CharSequence s, int i, int limit, byte k) {
        int e = i;
        while (e < limit && classAt(s, e, limit) == k) {
            e += widthAt(s, e, limit);
        }
        return e;
    }
}
