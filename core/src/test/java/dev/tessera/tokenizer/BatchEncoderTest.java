package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchEncoderTest {
    private final Tokenizer cl = Tokenizers.cl100kBase();

    @Test
    void javadocExample() {
        EncodedBatch b = BatchEncoder.encode(cl, List.of("hello world", "hi"), BatchOptions.padLongest(0));
        assertArrayEquals(new int[][] {{15339, 1917}, {6151, 0}}, b.ids());
        assertArrayEquals(new int[][] {{1, 1}, {1, 0}}, b.attentionMask());
        assertArrayEquals(new int[][] {{0, 5}, {0, 0}}, b.starts());
        assertArrayEquals(new int[][] {{5, 11}, {2, 0}}, b.ends());
    }

    @Test
    void truncateAndPadOnEitherSide() {
        List<String> texts = List.of("one two three four five", "six");
        int[] full = cl.encode(texts.get(0));
        int[] six = cl.encode("six");
        BatchOptions leftLeft = new BatchOptions(3, BatchOptions.Padding.MAX_LENGTH, BatchOptions.Side.LEFT,
                BatchOptions.Side.LEFT, 99, Set.of(), false);
        EncodedBatch b = BatchEncoder.encode(cl, texts, leftLeft);
        assertArrayEquals(Arrays.copyOfRange(full, full.length - 3, full.length), b.ids()[0]);
        assertArrayEquals(new int[] {99, 99, six[0]}, b.ids()[1]);
        assertArrayEquals(new int[] {0, 0, 1}, b.attentionMask()[1]);
        EncodedBatch r = BatchEncoder.encode(cl, texts, BatchOptions.fixedLength(4, 7));
        assertArrayEquals(Arrays.copyOf(full, 4), r.ids()[0]);
        assertArrayEquals(new int[] {six[0], 7, 7, 7}, r.ids()[1]);
        EncodedBatch none = BatchEncoder.encode(cl, texts,
                new BatchOptions(0, BatchOptions.Padding.NONE, BatchOptions.Side.RIGHT, BatchOptions.Side.RIGHT, 0, Set.of(), true));
        assertArrayEquals(full, none.ids()[0]);
        assertEquals(1, none.ids()[1].length);
    }

    @Test
    void parallelEqualsSequential() {
        List<String> texts = new ArrayList<>(TestTexts.random(3, 400, 60));
        texts.add(TestTexts.corpus(40_000));
        EncodedBatch p = BatchEncoder.encode(cl, texts, BatchOptions.padLongest(0));
        for (int i = 0; i < texts.size(); i++) {
            int[] ids = cl.encode(texts.get(i));
            assertArrayEquals(ids, Arrays.copyOf(p.ids()[i], ids.length));
            assertEquals(ids.length, Arrays.stream(p.attentionMask()[i]).sum());
        }
    }

    @Test
    void badInputNamesTheArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatchEncoder.encode(cl, List.of(), BatchOptions.padLongest(0)));
        assertTrue(e.getMessage().contains("texts"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BatchEncoder.encode(cl, Arrays.asList("a", null), BatchOptions.padLongest(0)));
        assertTrue(e.getMessage().contains("texts[1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BatchOptions.fixedLength(-1, 0));
        assertTrue(e.getMessage().contains("maxLength") && e.getMessage().contains("-1"), e.getMessage());
    }
}
