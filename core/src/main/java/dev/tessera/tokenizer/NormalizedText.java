package dev.tessera.tokenizer;

import java.text.Normalizer;
import java.util.Arrays;

/**
 * Text being normalized, with the span {@code [starts[i], ends[i])} of the original input that
 * each of its chars came from, so that tokens can report where in the caller's text they
 * started. Inserted chars take the span of the char they were inserted before; a replacement
 * takes the span of everything it replaced.
 */
final class NormalizedText {
    final String text;
    /** Per char of {@link #text}: first char of the original input it came from. */
    final int[] starts;
    /** Per char of {@link #text}: one past the last char of the original input it came from. */
    final int[] ends;

    private NormalizedText(String text, int[] starts, int[] ends) {
        this.text = text;
        this.starts = starts;
        this.ends = ends;
    }

    /** {@code input[from, to)} unchanged: each char maps to itself (a surrogate pair to both its chars). */
    static NormalizedText of(String input, int from, int to) {
        int n = to - from;
        int[] s = new int[n];
        int[] e = new int[n];
        for (int i = from; i < to; ) {
            int w = Character.isHighSurrogate(input.charAt(i)) && i + 1 < to
                    && Character.isLowSurrogate(input.charAt(i + 1)) ? 2 : 1;
            for (int k = 0; k < w; k++) {
                s[i - from + k] = i;
                e[i - from + k] = i + w;
            }
            i += w;
        }
        return new NormalizedText(input.substring(from, to), s, e);
    }

    boolean isEmpty() {
        return text.isEmpty();
    }

    int length() {
        return text.length();
    }

    /** Where in the original input this text starts. */
    int originalStart() {
        return starts[0];
    }

    /** Chars {@code [from, to)} with their spans. */
    NormalizedText slice(int from, int to) {
        return new NormalizedText(text.substring(from, to), Arrays.copyOfRange(starts, from, to),
                Arrays.copyOfRange(ends, from, to));
    }

    /** {@code prefix} + this; the prefix maps to the span of the first char. */
    NormalizedText prepend(String prefix) {
        int n = prefix.length();
        int[] s = new int[n + text.length()];
        int[] e = new int[s.length];
        Arrays.fill(s, 0, n, starts[0]);
        Arrays.fill(e, 0, n, ends[0]);
        System.arraycopy(starts, 0, s, n, starts.length);
        System.arraycopy(ends, 0, e, n, ends.length);
        return new NormalizedText(prefix + text, s, e);
    }

    /** Every occurrence of {@code pattern}, left to right and not overlapping, replaced by {@code content}. */
    NormalizedText replace(String pattern, String content) {
        int at = text.indexOf(pattern);
        if (at < 0) {
            return this;
        }
        StringBuilder sb = new StringBuilder(text.length());
        IntArray s = new IntArray(text.length());
        IntArray e = new IntArray(text.length());
        int from = 0;
        while (at >= 0) {
            append(sb, s, e, from, at);
            int spanStart = starts[at];
            int spanEnd = ends[at + pattern.length() - 1];
            for (int k = 0; k < content.length(); k++) {
                s.add(spanStart);
                e.add(spanEnd);
            }
            sb.append(content);
            from = at + pattern.length();
            at = text.indexOf(pattern, from);
        }
        append(sb, s, e, from, text.length());
        return new NormalizedText(sb.toString(), s.toArray(), e.toArray());
    }

    /**
     * Unicode normalization (NFC or NFKC). Each base character is normalized together with the
     * combining marks after it, so the result maps back to it; when that piecewise result differs
     * from normalizing the whole text (Hangul jamo compose across such pieces, for example) the
     * whole text is normalized and every char gets the span of all of it. The text is always
     * exactly {@link Normalizer#normalize}'s.
     */
    NormalizedText unicode(Normalizer.Form form) {
        if (Normalizer.isNormalized(text, form)) {
            return this;
        }
        String whole = Normalizer.normalize(text, form);
        StringBuilder sb = new StringBuilder(whole.length());
        IntArray s = new IntArray(whole.length());
        IntArray e = new IntArray(whole.length());
        int i = 0;
        while (i < text.length()) {
            int j = i + Character.charCount(text.codePointAt(i));
            while (j < text.length() && isCombining(text.codePointAt(j))) {
                j += Character.charCount(text.codePointAt(j));
            }
            String piece = Normalizer.normalize(text.substring(i, j), form);
            for (int k = 0; k < piece.length(); k++) {
                s.add(starts[i]);
                e.add(ends[j - 1]);
            }
            sb.append(piece);
            i = j;
        }
        if (!sb.toString().equals(whole)) {
            int[] ws = new int[whole.length()];
            int[] we = new int[whole.length()];
            Arrays.fill(ws, starts[0]);
            Arrays.fill(we, ends[ends.length - 1]);
            return new NormalizedText(whole, ws, we);
        }
        return new NormalizedText(whole, s.toArray(), e.toArray());
    }

    private static boolean isCombining(int cp) {
        int type = Character.getType(cp);
        return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                || type == Character.ENCLOSING_MARK;
    }

    private void append(StringBuilder sb, IntArray s, IntArray e, int from, int to) {
        sb.append(text, from, to);
        for (int k = from; k < to; k++) {
            s.add(starts[k]);
            e.add(ends[k]);
        }
    }
}
