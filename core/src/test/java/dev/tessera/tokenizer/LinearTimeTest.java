package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pathological inputs: no stack overflow, exact round trips and linear work. A complexity
 * check that counts work instead of timing it ({@link EncodeWork}: the characters the
 * pre-tokenisation scanner reads and the steps of the BPE merge), so it gives the same answer
 * on a quiet or a loaded machine and fails only when the complexity changes.
 *
 * <p>It compares equal amounts of input, one input of 10n characters against ten inputs of n:
 * linear code gives a ratio near 1 (measured: 1.00 for the characters read, up to 1.04 for the
 * merge steps, whose tree walks grow with log n), quadratic code near 10. The bound is 1.5.
 * Each counted encoding starts with an empty piece cache, so a count does not depend on what
 * ran before it.
 */
class LinearTimeTest {
    /** Linear code measures at most 1.04 (see the class comment); quadratic code about 10. */
    private static final double MAX_RATIO = 1.5;
    /**
     * Characters read per input character: each scanner looks at a character a bounded number
     * of times per piece, and each look reads it once or twice (class, then width); o200k reads
     * U+0301 A B 1 repeated 8 times per character, the most of these inputs.
     */
    private static final int MAX_READS_PER_CHAR = 16;

    private static BpeTokenizer[] tiktokens() {
        return new BpeTokenizer[] {
            (BpeTokenizer) Tokenizers.r50kBase(), (BpeTokenizer) Tokenizers.cl100kBase(), (BpeTokenizer) Tokenizers.o200kBase()
        };
    }

    /**
     * Encodes {@code s} counting the work, and checks that the counted encoding is the
     * ordinary one, that it decodes back to {@code s}, and that the scanner read each
     * character a bounded number of times.
     */
    private static EncodeWork work(BpeTokenizer t, String s) {
        EncodeWork w = new EncodeWork();
        int[] ids = t.encodeOrdinary(s, w);
        assertArrayEquals(t.encode(s), ids, "counted and ordinary encodings differ");
        assertEquals(s, t.decode(ids));
        assertTrue(w.charsRead <= (long) MAX_READS_PER_CHAR * s.length(),
                () -> w.charsRead + " characters read for " + s.length() + " of input");
        return w;
    }

    /** count(10n) / (10 count(n)); a count of 0 at n (no merging at all) counts as 1. */
    private static double ratio(long large, long small) {
        return large / (10.0 * Math.max(small, 1));
    }

    /** Asserts that both counts of one input of 10n units are within MAX_RATIO of ten inputs of n. */
    private static void assertLinear(BpeTokenizer t, String unit, int n) {
        EncodeWork small = work(t, unit.repeat(n));
        EncodeWork large = work(t, unit.repeat(10 * n));
        String what = " for " + n + " and " + 10 * n + " x " + ScannerRegexEquivalenceTest.escape(unit)
                + ": [" + small + "] and [" + large + "]";
        double chars = ratio(large.charsRead, small.charsRead);
        double merges = ratio(large.mergeSteps, small.mergeSteps);
        assertTrue(chars <= MAX_RATIO, () -> "scanner reads(10n)/(10 reads(n)) = " + chars + what);
        assertTrue(merges <= MAX_RATIO, () -> "merge steps(10n)/(10 steps(n)) = " + merges + what);
    }

    @Test
    void repeatedCharactersScaleLinearly() {
        for (BpeTokenizer t : tiktokens()) {
            for (String unit : new String[] {"^", "a", " ", "\n"}) {
                work(t, unit.repeat(10_000)); // the 10k case
                assertLinear(t, unit, 100_000); // 1M against 10 x 100k: one long piece each
            }
        }
    }

    /** Inputs aimed at the scanners' re-scans (o200k's case rules, cl100k's newline rule). */
    @Test
    void adversarialScannerInputsScaleLinearly() {
        for (BpeTokenizer t : tiktokens()) {
            for (String unit : new String[] {"\u0301A", "\u0301AB1", " \n", "\u3000a"}) {
                assertLinear(t, unit, 25_000); // 250k units against 10 x 25k
            }
        }
    }

    /**
     * The measure catches a quadratic scanner: one that, like a naive lookahead, reads the
     * rest of the segment before returning each piece gives ratios near 10 on the input
     * whose pieces are short.
     */
    @Test
    void quadraticScannerIsCaught() {
        BpeTokenizer cl100k = (BpeTokenizer) Tokenizers.cl100kBase();
        PieceScanner lookingToTheEnd = new PieceScanner() {
            @Override
            public int next(CharSequence text, int start, int limit) {
                int end = cl100k.scanner().next(text, start, limit);
                for (int i = end; i < limit; i++) {
                    text.charAt(i);
                }
                return end;
            }
        };
        BpeTokenizer quadratic = new BpeTokenizer(cl100k.vocab(), lookingToTheEnd, Map.of(), false);
        String unit = "\u0301A"; // one two-character piece per unit
        int n = 1_000;
        EncodeWork small = new EncodeWork();
        EncodeWork large = new EncodeWork();
        int[] ids = quadratic.encodeOrdinary(unit.repeat(10 * n), large);
        quadratic.encodeOrdinary(unit.repeat(n), small);
        assertArrayEquals(cl100k.encode(unit.repeat(10 * n)), ids);
        double chars = ratio(large.charsRead, small.charsRead);
        assertTrue(chars > 5 * MAX_RATIO, () -> "a quadratic scanner gave reads(10n)/(10 reads(n)) = " + chars);
    }

    /**
     * The measure catches a quadratic merge: the array loop used for pieces of up to 64 bytes
     * scans all pair ranks at every merge, and its count grows with the square of the piece
     * (a run of "q" merges into two-byte tokens, one merge at a time). A merge of long pieces
     * that regressed to it would be counted the same way.
     */
    @Test
    void quadraticMergeIsCounted() {
        BpeTokenizer cl100k = (BpeTokenizer) Tokenizers.cl100kBase();
        EncodeWork eight = new EncodeWork();
        EncodeWork sixtyFour = new EncodeWork();
        cl100k.encodeOrdinary("q".repeat(8), eight);
        cl100k.encodeOrdinary("q".repeat(64), sixtyFour);
        double perByteGrowth = sixtyFour.mergeSteps / (8.0 * eight.mergeSteps);
        assertTrue(eight.mergeSteps > 0, () -> "no merge counted for 8 x q: " + eight);
        assertTrue(perByteGrowth > 2 * MAX_RATIO,
                () -> "steps(64 x q)/(8 steps(8 x q)) = " + perByteGrowth + ": [" + eight + "] and [" + sixtyFour + "]");
    }

    @Test
    void countingNeedsACounter() {
        BpeTokenizer cl100k = (BpeTokenizer) Tokenizers.cl100kBase();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cl100k.encodeOrdinary("text", (EncodeWork) null));
        assertTrue(e.getMessage().contains("count"), e.getMessage());
    }
}
