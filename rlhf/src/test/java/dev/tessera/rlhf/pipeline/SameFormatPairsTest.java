package dev.tessera.rlhf.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.rlhf.reward.RankedGroup;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The held-out pairs the format cannot decide: same prefix, same closing, so only the digits differ. */
class SameFormatPairsTest {
    private static final ChatTokenizer TOKENIZER = ChatTokenizer.train(
            List.of("sort 3 1 2 = 1 2 3", "answer: 1 2 3", "copy 4 5 = 4 5", "answer: 4 5"), 300);

    private static int[] answer(String text, boolean closed) {
        int[] ids = TOKENIZER.encode(text);
        if (!closed) {
            return ids;
        }
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = TOKENIZER.chat().end();
        return out;
    }

    @Test
    void keepsOnlyPairsWhoseFormatAgrees() {
        int[] prompt = TOKENIZER.chat().prompt(TOKENIZER.encode("sort 3 1 2"));
        int[] best = answer("answer: 1 2 3", true); // 1.0
        int[] noPrefix = answer("1 2 3", true); // 0.75
        int[] wrongDigits = answer("answer: 1 3 2", true); // 0.6667
        int[] open = answer("answer: 3 1 2", false); // 0.25
        RankedGroup g = new RankedGroup(prompt, List.of(best, noPrefix, wrongDigits, open));

        List<RankedGroup> pairs = RecipePipeline.sameFormatPairs(List.of(g), TOKENIZER);

        assertEquals(1, pairs.size(), "of the 6 pairs only (best, wrongDigits) share prefix and closing");
        assertArrayEquals(prompt, pairs.get(0).prompt());
        assertArrayEquals(best, pairs.get(0).responses().get(0), "the better answer comes first");
        assertArrayEquals(wrongDigits, pairs.get(0).responses().get(1));
    }

    @Test
    void pairsWithinEachFormatAcrossGroups() {
        int[] p1 = TOKENIZER.chat().prompt(TOKENIZER.encode("copy 4 5"));
        RankedGroup plain = new RankedGroup(p1, List.of(answer("4 5", true), answer("4 4", true), answer("5 4", true)));
        RankedGroup mixed = new RankedGroup(p1, List.of(answer("answer: 4 5", true), answer("4 5", false)));

        List<RankedGroup> pairs = RecipePipeline.sameFormatPairs(List.of(plain, mixed), TOKENIZER);

        assertEquals(3, pairs.size(), "all 3 pairs of the first group, none of the second");
        for (RankedGroup p : pairs) {
            assertEquals(2, p.k());
        }
    }
}
