package dev.tessera.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.training.Flat;
import dev.tessera.training.loss.MaskingConfig;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaskedLmBatchesTest {
    @TempDir
    Path dir;

    @Test
    void positionRestoresWindowsAndMasks() throws IOException {
        Path f = dir.resolve("t.tok");
        try (TokenFile.Writer w = TokenFile.writer(f, 50)) {
            int[] ids = new int[2000];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = 3 + (i * 7) % 47;
            }
            w.append(ids);
            w.commit();
        }
        TokenFile t = TokenFile.open(f);
        MaskingConfig m = MaskingConfig.bert(50, 2, 0, 1);
        MaskedLmBatches a = new MaskedLmBatches(new WindowSampler(t, 4, 32, 1), m, -100, 5);
        a.next();
        long[] pos = a.position();
        Batch expected = a.next();
        MaskedLmBatches b = new MaskedLmBatches(new WindowSampler(t, 4, 32, 77), m, -100, 77);
        b.setPosition(pos);
        Batch got = b.next();
        assertArrayEquals(Flat.ints(expected.inputs()), Flat.ints(got.inputs()));
        assertArrayEquals(Flat.ints(expected.targets()), Flat.ints(got.targets()));
        int selected = 0;
        for (int x : Flat.ints(got.targets())) {
            selected += x == -100 ? 0 : 1;
        }
        assertEquals(true, selected > 0 && selected < 4 * 32);
        assertThrows(IllegalArgumentException.class, () -> b.setPosition(new long[] {1, 2, 3}));
    }
}
