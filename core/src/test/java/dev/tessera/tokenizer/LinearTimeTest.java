package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Pathological inputs: no stack overflow and near-linear time. Best-of-5 thread CPU time; the bound
 * (1M vs 100k at most 15x, linear would be 10x) is a complexity check, not a benchmark.
 */
class LinearTimeTest {

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * Best-of-5 CPU time of this thread: unlike wall time it does not count the time other
     * processes on a shared machine take the core away, which made a wall-clock ratio flaky.
     */
    private static long bestNanos(Tokenizer t, String s) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long t0 = THREADS.getCurrentThreadCpuTime();
            int[] ids = t.encode(s);
            long dt = THREADS.getCurrentThreadCpuTime() - t0;
            assertEquals(s.length(), t.decodeBytes(ids).length);
            best = Math.min(best, dt);
        }
        return best;
    }

    @Test
    void repeatedCharactersScaleLinearly() {
        for (Tokenizer t : new Tokenizer[] {Tokenizers.r50kBase(), Tokenizers.cl100kBase(), Tokenizers.o200kBase()}) {
            for (String unit : new String[] {"^", "a", " ", "\n"}) {
                bestNanos(t, unit.repeat(10_000)); // warm-up, and the 10k case
                long t100k = bestNanos(t, unit.repeat(100_000));
                long t1m = bestNanos(t, unit.repeat(1_000_000));
                double ratio = (double) t1m / Math.max(t100k, 1);
                assertTrue(ratio <= 15, () -> "time(1M)/time(100k) = " + ratio + " for " + ScannerRegexEquivalenceTest.escape(unit));
            }
        }
    }
}
