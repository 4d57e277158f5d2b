package dev.tessera.training.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.training.Flat;
import dev.tessera.training.data.Batch;
import dev.tessera.training.data.TokenFile;
import dev.tessera.training.data.WindowSampler;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sharded window sampler against the one-process sampler with the global batch. */
class ShardedSamplerTest {
    private static final int T = 8;

    @Test
    void shardsAreDisjointAndTogetherAreTheOneProcessBatchInOrder(@TempDir Path dir) throws IOException {
        TokenFile file = TokenFile.open(TinyRun.writeTokens(dir, 5000));
        int global = 6;
        int replicas = 3;
        WindowSampler one = new WindowSampler(file, 100, 4000, global, T, 5);
        WindowSampler[] shards = new WindowSampler[replicas];
        for (int r = 0; r < replicas; r++) {
            shards[r] = new WindowSampler(file, 100, 4000, global, T, 5, r, replicas);
        }
        for (int step = 0; step < 5; step++) {
            int[] in = Flat.ints(one.next().inputs()); // (6, T)
            Set<Long> starts = new HashSet<>();
            for (int r = 0; r < replicas; r++) {
                Batch b = shards[r].next();
                assertEquals(global / replicas, b.batchSize());
                int[] mine = Flat.ints(b.inputs()); // (2, T): rows 2r, 2r + 1 of the global batch
                int from = r * (global / replicas) * T;
                assertArrayEquals(Arrays.copyOfRange(in, from, from + mine.length), mine, "step " + step + " rank " + r);
                int[] targets = Flat.ints(b.targets());
                for (int row = 0; row < b.batchSize(); row++) {
                    assertEquals(mine[row * T + 1], targets[row * T], "targets are the inputs shifted by one");
                    starts.add(((long) step << 32) | (r * 10 + row)); // one (rank, row) slot per window
                }
            }
            assertEquals(global, starts.size(), "every global row goes to exactly one replica");
            for (WindowSampler s : shards) {
                assertArrayEquals(one.position(), s.position(), "a shard's position is the one-process position");
            }
        }
    }

    @Test
    void restoringAPositionReplaysTheShard(@TempDir Path dir) throws IOException {
        TokenFile file = TokenFile.open(TinyRun.writeTokens(dir, 5000));
        WindowSampler a = new WindowSampler(file, 0, file.size(), 4, T, 9, 1, 2);
        a.next();
        long[] p = a.position();
        int[] expected = Flat.ints(a.next().inputs());
        WindowSampler b = new WindowSampler(file, 0, file.size(), 4, T, 9, 1, 2);
        b.setPosition(p);
        assertArrayEquals(expected, Flat.ints(b.next().inputs()));
    }

    @Test
    void rejectsABatchThatDoesNotSplitAndABadRank(@TempDir Path dir) throws IOException {
        TokenFile file = TokenFile.open(TinyRun.writeTokens(dir, 1000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new WindowSampler(file, 0, file.size(), 5, T, 1, 0, 2));
        assertTrue(e.getMessage().contains("global batch (5)") && e.getMessage().contains("replicas (2)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WindowSampler(file, 0, file.size(), 4, T, 1, 2, 2));
        assertTrue(e.getMessage().contains("rank 2"), e.getMessage());
    }
}
