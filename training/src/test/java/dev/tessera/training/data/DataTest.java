package dev.tessera.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.training.Flat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {
    @TempDir
    Path dir;

    /** Bytes as tokens, plus id 256 as separator. */
    static final TextEncoder BYTES = new TextEncoder() {
        @Override
        public int[] encode(String text) {
            byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int[] out = new int[b.length];
            for (int i = 0; i < b.length; i++) {
                out[i] = b[i] & 0xFF;
            }
            return out;
        }

        @Override
        public int vocabSize() {
            return 257;
        }
    };

    @Test
    void packsDocumentsWithSeparatorsAsUint16() throws IOException {
        Path f = dir.resolve("corpus.tok");
        long n = DocumentPacker.pack(List.of("ab", "", "c"), BYTES, 256, f);
        assertEquals(6, n);
        assertEquals(32 + 6 * 2, Files.size(f));
        TokenFile t = TokenFile.open(f);
        int[] all = new int[6];
        t.read(0, all);
        assertArrayEquals(new int[] {97, 98, 256, 256, 99, 256}, all);
        assertEquals(257, t.vocabSize());
    }

    @Test
    void largeVocabularyUsesInt32() throws IOException {
        Path f = dir.resolve("big.tok");
        try (TokenFile.Writer w = TokenFile.writer(f, 100_000)) {
            w.append(new int[] {0, 99_999, 65_536});
            w.commit();
        }
        assertEquals(32 + 12, Files.size(f));
        TokenFile t = TokenFile.open(f);
        assertEquals(99_999, t.get(1));
        assertEquals(65_536, t.get(2));
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(3));
    }

    @Test
    void rejectsCorruptFiles() throws IOException {
        Path f = dir.resolve("c.tok");
        DocumentPacker.pack(List.of("hello"), BYTES, 256, f);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 1));
        IOException e = assertThrows(IOException.class, () -> TokenFile.open(f));
        assertTrue(e.getMessage().contains("but the file has"), e.getMessage());
        b[0] = 'X';
        Files.write(f, b);
        e = assertThrows(IOException.class, () -> TokenFile.open(f));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> {
            try (TokenFile.Writer w = TokenFile.writer(dir.resolve("x.tok"), 10)) {
                w.append(new int[] {10});
            }
        });
        assertFalse(Files.exists(dir.resolve("x.tok")));
    }

    @Test
    void samplerWindowsAreShiftedAndResumable() throws IOException {
        Path f = dir.resolve("seq.tok");
        try (TokenFile.Writer w = TokenFile.writer(f, 1000)) {
            int[] ramp = new int[1000];
            for (int i = 0; i < ramp.length; i++) {
                ramp[i] = i;
            }
            w.append(ramp);
            w.commit();
        }
        TokenFile t = TokenFile.open(f);
        WindowSampler a = new WindowSampler(t, 100, 600, 3, 8, 42);
        Batch first = a.next();
        int[] in = Flat.ints(first.inputs());
        int[] tg = Flat.ints(first.targets());
        for (int i = 0; i < in.length; i++) {
            assertEquals(in[i] + 1, tg[i]);
            assertTrue(in[i] >= 100 && tg[i] < 600);
        }
        long[] pos = a.position();
        Batch second = a.next();
        WindowSampler b = new WindowSampler(t, 100, 600, 3, 8, 7);
        b.setPosition(pos);
        assertArrayEquals(Flat.ints(second.inputs()), Flat.ints(b.next().inputs()));
        assertEquals(2, b.drawn());
        List<Batch> val = Sequential.windows(t, 600, 1000, 2, 10, 100);
        assertEquals(19, val.size()); // (400 − 1) / 20 windows of 2 × 10
        assertEquals(600, Flat.ints(val.get(0).inputs())[0]);
    }

    @Test
    void promptResponseMasksAndCollation() {
        LabeledSequence s = PromptResponse.encode(new int[] {5, 6}, new int[] {7, 8}, 0, 16);
        assertArrayEquals(new int[] {5, 6, 7, 8, 0}, s.ids());
        assertArrayEquals(new boolean[] {false, false, true, true, true}, s.lossMask());
        LabeledSequence cut = PromptResponse.encode(new int[] {5, 6}, new int[] {7, 8}, 0, 3);
        assertArrayEquals(new int[] {5, 6, 7}, cut.ids());
        Batch b = Collator.pad(List.of(s, cut), 99, -100);
        assertArrayEquals(new int[] {5, 6, 7, 8, 0, 5, 6, 7, 99, 99}, Flat.ints(b.inputs()));
        assertArrayEquals(new int[] {-100, 7, 8, 0, -100, -100, 7, -100, -100, -100}, Flat.ints(b.targets()));
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, Flat.ints(b.attentionMask()));
        assertThrows(IllegalArgumentException.class, () -> PromptResponse.encode(new int[] {1, 2, 3}, new int[] {4}, 0, 3));
    }
}
