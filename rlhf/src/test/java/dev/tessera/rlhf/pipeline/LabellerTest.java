package dev.tessera.rlhf.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LabellerTest {
    private static final Instruction SORT_312 = new Instruction(Instruction.Op.SORT, new int[] {3, 1, 2});

    @Test
    void documentedExamples() {
        assertEquals(1.0, Labeller.score(SORT_312, "answer: 1 2 3", true), 1e-12);
        assertEquals(0.75, Labeller.score(SORT_312, "1 2 3", true), 1e-12);
        assertEquals(0.5 + 0.5 / 3, Labeller.score(SORT_312, "answer: 1 3 2", true), 1e-12);
        assertEquals(0.5, Labeller.score(SORT_312, "answer: 3 1 2", true), 1e-12);
        assertEquals(0.5 + 0.5 * 2 / 3, Labeller.score(SORT_312, "answer: 1 2", true), 1e-12);
        assertEquals(0.75, Labeller.score(SORT_312, "answer: 1 2 3", false), 1e-12);
    }

    @Test
    void extraWordsAndWhitespaceAndNonDigits() {
        // too long: 3 right out of max(3, 5)
        assertEquals(0.5 + 0.5 * 3 / 5, Labeller.score(SORT_312, "answer: 1 2 3 3 3", true), 1e-12);
        assertEquals(1.0, Labeller.score(SORT_312, "  answer:   1  2 3 ", true), 1e-12);
        assertEquals(0.25, Labeller.score(SORT_312, "", true), 1e-12);
        assertEquals(0.0, Labeller.score(SORT_312, "sort sort", false), 1e-12);
        assertEquals(0.25 + 0.5 * 2 / 3, Labeller.score(SORT_312, "answer: x 2 3", false), 1e-12);
    }

    @Test
    void correctnessIsTheContentPartAloneAndTheScoreSplitsIntoItsRules() {
        assertEquals(1.0, Labeller.correctness(SORT_312, "answer: 1 2 3"), 0);
        assertEquals(1.0, Labeller.correctness(SORT_312, "1 2 3"), 0, "the format does not count");
        assertEquals(1.0 / 3, Labeller.correctness(SORT_312, "answer: 1 3 2"), 1e-15);
        assertEquals(0.0, Labeller.correctness(SORT_312, "3 1 2"), 0, "the lazy copy is wrong for sort");
        assertEquals(3.0 / 5, Labeller.correctness(SORT_312, "answer: 1 2 3 3 3"), 1e-15);
        assertEquals(0.0, Labeller.correctness(SORT_312, ""), 0);
        String[] responses = {"answer: 1 2 3", "1 3 2", "answer: 2", "  answer:   1  2 3 ", "answer: x 2 3", "sort"};
        for (String r : responses) {
            for (boolean closed : new boolean[] {true, false}) {
                double parts = (r.strip().startsWith(Labeller.PREFIX) ? Labeller.PREFIX_WEIGHT : 0)
                        + (closed ? Labeller.END_WEIGHT : 0) + Labeller.CONTENT_WEIGHT * Labeller.correctness(SORT_312, r);
                assertEquals(parts, Labeller.score(SORT_312, r, closed), 1e-15, r + ", closed " + closed);
            }
        }
    }

    @Test
    void operations() {
        assertArrayEquals(new int[] {1, 2, 3}, SORT_312.expected());
        assertArrayEquals(new int[] {2, 1, 3}, new Instruction(Instruction.Op.REVERSE, new int[] {3, 1, 2}).expected());
        assertArrayEquals(new int[] {3, 1, 2}, new Instruction(Instruction.Op.COPY, new int[] {3, 1, 2}).expected());
        assertEquals("sort 3 1 2", SORT_312.text());
        assertEquals("answer: 1 2 3", SORT_312.idealResponse());
        assertEquals(1.0, Labeller.score(SORT_312, SORT_312.idealResponse(), true), 1e-12);
    }

    @Test
    void invalidInstructions() {
        assertThrows(IllegalArgumentException.class, () -> new Instruction(Instruction.Op.SORT, new int[0]));
        assertThrows(IllegalArgumentException.class, () -> new Instruction(Instruction.Op.SORT, new int[] {10}));
        assertThrows(IllegalArgumentException.class, () -> new Instruction(null, new int[] {1}));
    }
}
