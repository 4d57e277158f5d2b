package dev.tessera.rlhf.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskTest {

    private static int[] enc(String s) {
        return TaskVocabulary.encode(s);
    }

    @Test
    void vocabularyRoundTrip() {
        assertArrayEquals(new int[] {4, 11, 9}, enc("sort 3 1"));
        assertEquals("sort 3 1", TaskVocabulary.decode(new int[] {4, 11, 9}));
        assertThrows(IllegalArgumentException.class, () -> enc("sort x"));
    }

    @Test
    void expectedResults() {
        assertArrayEquals(new int[] {1, 2, 3}, new TaskPrompt(TaskVocabulary.SORT, new int[] {3, 1, 2}).expected());
        assertArrayEquals(new int[] {2, 1, 3}, new TaskPrompt(TaskVocabulary.REVERSE, new int[] {3, 1, 2}).expected());
        assertArrayEquals(new int[] {3, 1, 2}, new TaskPrompt(TaskVocabulary.COPY, new int[] {3, 1, 2}).expected());
        assertArrayEquals(enc("answer 1 2 3"), new TaskPrompt(TaskVocabulary.SORT, new int[] {3, 1, 2}).idealResponse());
    }

    @Test
    void labellerRulesFromTheJavadoc() {
        TaskPrompt p = new TaskPrompt(TaskVocabulary.SORT, new int[] {3, 1, 2});
        assertEquals(1.0, Labeller.score(p, enc("answer 1 2 3 <end>")), 1e-15);
        assertEquals(0.75, Labeller.score(p, enc("1 2 3 <end>")), 1e-15);
        assertEquals(0.5, Labeller.score(p, enc("answer 3 1 2 <end>")), 1e-15);
        assertEquals(0.5 + 0.5 * 2 / 3.0, Labeller.score(p, enc("answer 1 2 <end>")), 1e-15);
        assertEquals(0.75, Labeller.score(p, enc("answer 1 2 3")), 1e-15); // never ended
        assertEquals(1.0, Labeller.score(p, enc("answer 1 2 3 <end> 9 9")), 1e-15); // after the end: ignored
        assertEquals(0.25 + 0.5 * 3 / 4.0, Labeller.score(p, enc("1 2 3 3 <end>")), 1e-15); // too long
        assertEquals(0.25, Labeller.score(p, enc("<end>")), 1e-15);
    }

    @Test
    void candidatesHaveDistinctScoresBestFirst() {
        TaskGenerator g = TaskGenerator.defaults();
        Rng rng = new Rng(3);
        for (int i = 0; i < 50; i++) {
            TaskPrompt p = g.randomPrompt(rng);
            List<int[]> c = g.rankedCandidates(p, rng, 4);
            assertTrue(c.size() >= 2 && c.size() <= 4);
            for (int j = 1; j < c.size(); j++) {
                assertTrue(Labeller.score(p, c.get(j - 1)) > Labeller.score(p, c.get(j)));
            }
        }
    }

    @Test
    void demonstrationsAreNoisyAtTheConfiguredRates() {
        TaskGenerator g = new TaskGenerator(3, 3, 0.5, 0.3);
        Rng rng = new Rng(4);
        int prefix = 0, n = 4000;
        for (int i = 0; i < n; i++) {
            int[] d = g.demonstration(g.randomPrompt(rng), rng);
            prefix += d[0] == TaskVocabulary.ANSWER ? 1 : 0;
        }
        assertEquals(0.5, (double) prefix / n, 0.03);
    }

    @Test
    void heldOutPromptsAreDisjoint() {
        TaskGenerator g = TaskGenerator.defaults();
        Set<TaskPrompt> held = new HashSet<>(g.prompts(new Rng(1), 100, Set.of()));
        List<TaskPrompt> train = g.prompts(new Rng(2), 500, held);
        for (TaskPrompt p : train) {
            assertTrue(!held.contains(p));
        }
        assertEquals(500, new HashSet<>(train).size());
    }
}
