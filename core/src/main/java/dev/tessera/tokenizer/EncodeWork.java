package dev.tessera.tokenizer;

/**
 * Counts the elementary steps of encoding, so a test can check that the work grows
 * linearly with the input by counting it instead of timing it: the count is the same on a
 * quiet or a loaded machine, so only a change of complexity can move it. Production encoding
 * never gets one ({@link BpeTokenizer#encodeOrdinary(String, EncodeWork)} is the only way in);
 * it pays one null check per piece, and the scanners, which read {@link CharSequence}, are
 * handed a {@code String}-typed argument, so the inlined reads need no type check (passing
 * the view and the string through one variable made o200k's encoding about 5% slower in a
 * quick in-process check).
 *
 * <p>What is counted is what would grow quadratically if the code regressed:
 * <ul>
 *   <li>{@link #charsRead}: characters the pre-tokenisation scanner read (every
 *       {@code charAt} through the view of {@link #reading}), so a scanner that looks ahead
 *       past the piece it returns, or re-scans text, is seen;</li>
 *   <li>{@link #mergeSteps}: the BPE merge's steps: pair ranks looked up, compared and
 *       moved by the array loop of short pieces, and ranks looked up, block minima rescanned
 *       and tournament-tree nodes rewritten by the merge of long pieces.</li>
 * </ul>
 * Not thread-safe: one encoding at a time.
 */
final class EncodeWork {
    /** Characters read by the scanner. */
    long charsRead;
    /** Merge steps (see the class comment). */
    long mergeSteps;

    /** A view of {@code text} that counts each character read into {@link #charsRead}. */
    CharSequence reading(String text) {
        return new CountingText(text);
    }

    @Override
    public String toString() {
        return "charsRead=" + charsRead + ", mergeSteps=" + mergeSteps;
    }

    /** The counting view; only {@code charAt} reads characters (a scanner uses nothing else). */
    private final class CountingText implements CharSequence {
        private final String text;

        CountingText(String text) {
            this.text = text;
        }

        @Override
        public char charAt(int index) {
            charsRead++;
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            charsRead += end - start;
            return text.subSequence(start, end);
        }

        @Override
        public String toString() {
            charsRead += text.length();
            return text;
        }
    }
}
