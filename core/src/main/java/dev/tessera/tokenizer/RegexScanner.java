package dev.tessera.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fallback scanner for Split patterns that have no hand-written scanner. It uses
 * {@code java.util.regex}, which backtracks, so it is NOT guaranteed linear; callers log a
 * warning when they choose it. {@code limit} is an opaque region bound, so lookaheads and
 * {@code $} see it as the end of the text, like tiktoken's per-segment matching.
 *
 * <p>Two Hugging Face Split forms: {@code Isolated} (text between matches becomes its own
 * piece) and {@code Removed} with {@code invert: true} ({@code removeGaps}: only the non-empty
 * matches are pieces; the text between them is skipped by {@link #skip}).
 */
final class RegexScanner implements PieceScanner {
    private final Pattern pattern;
    private final boolean removeGaps;
    private final ThreadLocal<State> states;

    /** A thread's matcher and the last match {@link #skip} found, which {@link #next} then returns. */
    private static final class State {
        final Matcher matcher;
        CharSequence text;
        int matchStart = -1;
        int matchEnd = -1;
        int matchLimit = -1;

        State(Matcher matcher) {
            this.matcher = matcher;
        }
    }

    RegexScanner(String regex, boolean removeGaps) {
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        this.removeGaps = removeGaps;
        this.states = ThreadLocal.withInitial(() -> new State(pattern.matcher("")));
    }

    RegexScanner(String regex) {
        this(regex, false);
    }

    /** Whether text between matches is dropped rather than made a piece. */
    boolean removesGaps() {
        return removeGaps;
    }

    @Override
    public int skip(CharSequence text, int start, int limit) {
        if (!removeGaps) {
            return start;
        }
        State st = states.get();
        Matcher m = st.matcher;
        m.reset(text);
        m.region(start, limit);
        while (m.find()) {
            if (m.end() > m.start()) {
                st.text = text;
                st.matchStart = m.start();
                st.matchEnd = m.end();
                st.matchLimit = limit;
                return m.start();
            }
        }
        return limit;
    }

    @Override
    public int next(CharSequence text, int start, int limit) {
        State st = states.get();
        if (removeGaps && st.text == text && st.matchStart == start && st.matchLimit == limit) {
            return st.matchEnd;
        }
        Matcher m = st.matcher;
        m.reset(text);
        m.region(start, limit);
        while (m.find()) {
            if (m.start() > start) {
                return removeGaps ? nextNonEmpty(m, limit) : m.start();
            }
            if (m.end() > start) {
                return m.end();
            }
            if (!removeGaps) {
                break; // empty match at start: consume one code point as its own piece
            }
        }
        return removeGaps ? limit : start + PieceScanner.widthAt(text, start, limit);
    }

    /** Called only when next() was not preceded by skip() at start: the piece runs to the first non-empty match's end. */
    private static int nextNonEmpty(Matcher m, int limit) {
        do {
            if (m.end() > m.start()) {
                return m.end();
            }
        } while (m.find());
        return limit;
    }
}
