package dev.tessera.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code added_tokens} of a tokenizer.json and how text is cut at them, following Hugging
 * Face: the leftmost, then longest, added token wins; tokens with {@code normalized: false}
 * are found in the raw text, tokens with {@code normalized: true} in the normalized text (as
 * their normalized spelling); {@code single_word} tokens only match between non-word
 * characters; {@code lstrip}/{@code rstrip} tokens take the whitespace before/after them.
 *
 * <p>Special tokens ({@code special: true}) are only found when the caller allows them; other
 * added tokens are ordinary vocabulary and always found.
 */
final class AddedVocabulary {

    /**
     * One added token.
     *
     * @param content its text
     * @param pattern what is searched for: the content, or its normalized form when {@code normalized}
     */
    record Entry(String content, String pattern, int id, boolean special, boolean singleWord, boolean lstrip,
                 boolean rstrip, boolean normalized) {
    }

    /** A token found in the text at chars {@code [start, end)} (whitespace it strips included). */
    record Match(Entry token, int start, int end) {
    }

    private final List<Entry> entries;

    AddedVocabulary(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    List<Entry> entries() {
        return entries;
    }

    /**
     * The added tokens found in {@code text}, in order, among those with the given
     * {@code normalized} flag, special ones only if in {@code allowedSpecial}.
     */
    List<Match> find(String text, boolean normalized, Set<String> allowedSpecial) {
        // Candidates by their first char, so each position of the text tries only a few.
        Map<Character, List<Entry>> byFirst = new HashMap<>();
        for (Entry e : entries) {
            if (e.normalized() == normalized && !e.pattern().isEmpty()
                    && (!e.special() || allowedSpecial.contains(e.content()))) {
                byFirst.computeIfAbsent(e.pattern().charAt(0), c -> new ArrayList<>()).add(e);
            }
        }
        List<Match> out = new ArrayList<>();
        if (byFirst.isEmpty()) {
            return out;
        }
        int taken = 0; // end of the last match: whitespace before it is not stripped again
        int i = 0;
        while (i < text.length()) {
            Entry best = null;
            for (Entry e : byFirst.getOrDefault(text.charAt(i), List.of())) {
                if (text.startsWith(e.pattern(), i) && (best == null || e.pattern().length() > best.pattern().length())) {
                    best = e;
                }
            }
            if (best == null) {
                i++;
                continue;
            }
            int start = i;
            int end = i + best.pattern().length();
            i = end;
            if (best.singleWord() && ((start > 0 && isWordChar(text.codePointBefore(start)))
                    || (end < text.length() && isWordChar(text.codePointAt(end))))) {
                continue;
            }
            if (best.lstrip()) {
                while (start > taken && isWhiteSpace(text.codePointBefore(start))) {
                    start -= Character.charCount(text.codePointBefore(start));
                }
            }
            if (best.rstrip()) {
                while (end < text.length() && isWhiteSpace(text.codePointAt(end))) {
                    end += Character.charCount(text.codePointAt(end));
                }
                i = end;
            }
            out.add(new Match(best, start, end));
            taken = end;
        }
        return out;
    }

    /** Unicode White_Space (the {@code \s} of Hugging Face's regexes). */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /** A word character (the {@code \w} of Hugging Face's regexes): letter, mark, digit or connector. */
    static boolean isWordChar(int cp) {
        int t = Character.getType(cp);
        return Character.isLetterOrDigit(cp) || t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK
                || t == Character.ENCLOSING_MARK || t == Character.CONNECTOR_PUNCTUATION || t == Character.LETTER_NUMBER
                || cp == 0x200C || cp == 0x200D;
    }
}
