package dev.tessera.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fallback scanner for Split patterns that have no hand-written scanner. It uses
 * {@code java.util.regex}, which backtracks, so it is NOT guaranteed linear; callers log a
 * warning when they choose it. Text between matches becomes its own piece (Hugging Face's
 * {@code Isolated} split behaviour); {@code limit} is an opaque region bound, so lookaheads
 * and {@code $} see it as the end of the text, like tiktoken's per-segment matching.
 */
final class RegexScanner implements PieceScanner {
    private final Pattern pattern;
    private final ThreadLocal<Matcher> matchers;

    RegexScanner(String regex) {
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        this.matchers = ThreadLocal.withInitial(() -> pattern.matcher(""));
    }

    @Override
    public int next(String text, int start, int limit) {
        Matcher m = matchers.get();
        m.reset(text);
        m.region(start, limit);
        if (m.find()) {
            if (m.start() > start) {
                return m.start();
            }
            if (m.end() > start) {
                return m.end();
            }
            // Empty match at start: consume one code point as its own piece.
        } else {
            return limit;
        }
        return start + PieceScanner.widthAt(text, start, limit);
    }
}
