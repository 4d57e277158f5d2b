package dev.tessera.bench.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.tokenizer.BpeTrainer;
import dev.tessera.tokenizer.SplitPattern;
import dev.tessera.tokenizer.TrainedBpe;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The naive trainer of {@link BpeTrainBenchmark} learns exactly Tessera's merges. */
class NaiveBpeTrainerTest {

    private static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void handExample() {
        // cl100k pieces: "aaab", " aaab", " aaab".
        List<byte[]> t = NaiveBpeTrainer.train("aaab aaab aaab", SplitPattern.CL100K.regex(), 3, 2, 256);
        // Counts: (a,a) 2 per "aaab" piece × 3 = 6, beats (a,b) 3 and (' ',a) 2; "aaab" → [aa, a, b].
        assertEquals("aa", s(t.get(256)));
        // Then (aa, a) 3, (a, b) 3, (' ', aa) 2: a tie of 3, broken by the smaller left bytes "a" < "aa".
        assertEquals("ab", s(t.get(257)));
        assertEquals("aaab", s(t.get(258)));
        assertEquals(259, t.size());
    }

    @Test
    void rewriteMergesLeftToRightWithoutOverlap() {
        assertArrayEquals(new int[] {9, 9, 1}, NaiveBpeTrainer.rewrite(new int[] {1, 1, 1, 1, 1}, 1, 1, 9));
    }

    @Test
    void stopsWhenNoPairIsFrequentEnough() {
        assertEquals(256, NaiveBpeTrainer.train("abc", SplitPattern.CL100K.regex(), 10, 2, 256).size());
        assertThrows(IllegalArgumentException.class, () -> NaiveBpeTrainer.train("x", "x", -1, 2, 256));
    }

    @Test
    void agreesWithTesseraOnThePrefixOfTheBenchmarkCorpus() {
        String text = BpeTrainBenchmark.corpus().substring(0, 60_000);
        int merges = 300;
        TrainedBpe tessera = BpeTrainer.train(List.of(text).iterator(), BpeTrainBenchmark.configFor(merges));
        List<byte[]> naive = NaiveBpeTrainer.train(text, SplitPattern.CL100K.regex(), merges, 2, 256);
        assertEquals(merges, tessera.mergeCount());
        assertEquals(256 + merges, naive.size());
        for (int i = 0; i < naive.size(); i++) {
            assertArrayEquals(tessera.tokenBytes(i), naive.get(i), "token " + i + " (naive \"" + s(naive.get(i)) + "\")");
        }
    }
}
