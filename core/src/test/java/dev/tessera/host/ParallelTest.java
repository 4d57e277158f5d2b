package dev.tessera.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.Backend;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @AfterEach
    void restore() {
        Backend.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void everyRowRunsExactlyOnceInContiguousChunks() {
        for (int threads : new int[] {1, 2, 3, 8}) {
            Parallel.setThreads(threads);
            for (int rows : new int[] {0, 1, 2, 5, 1000}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(rows, 1));
                int[] chunks = new int[1];
                Parallel.forRows(rows, Parallel.MIN_PARALLEL_WORK, (chunk, from, to) -> {
                    assertTrue(chunk < Parallel.chunks(rows, Parallel.MIN_PARALLEL_WORK));
                    for (int r = from; r < to; r++) {
                        seen.incrementAndGet(r);
                    }
                    synchronized (chunks) {
                        chunks[0]++;
                    }
                });
                for (int r = 0; r < rows; r++) {
                    assertEquals(1, seen.get(r), "row " + r + " threads " + threads);
                }
                assertEquals(Parallel.chunks(rows, Parallel.MIN_PARALLEL_WORK), chunks[0]);
            }
        }
    }

    @Test
    void smallWorkStaysOnTheCallingThread() {
        Parallel.setThreads(4);
        assertEquals(1, Parallel.chunks(100, 10));
        assertEquals(4, Parallel.chunks(100, Parallel.MIN_PARALLEL_WORK));
        Thread caller = Thread.currentThread();
        Parallel.forRows(100, 10, (chunk, from, to) -> assertEquals(caller, Thread.currentThread()));
    }

    @Test
    void anExceptionInAWorkerChunkReachesTheCaller() {
        Parallel.setThreads(2);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Parallel.forRows(10, Parallel.MIN_PARALLEL_WORK, (chunk, from, to) -> {
                    if (chunk == 1) {
                        throw new IllegalStateException("boom in chunk 1");
                    }
                }));
        assertEquals("boom in chunk 1", e.getMessage());
    }

    @Test
    void backendSetThreadsSetsTheKernelPoolAndRejectsZero() {
        Backend.setThreads(1);
        assertEquals(1, Parallel.threads());
        assertEquals(1, Backend.threads());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backend.setThreads(0));
        assertTrue(e.getMessage().contains("threads must be >= 1, got 0"), e.getMessage());
    }
}
