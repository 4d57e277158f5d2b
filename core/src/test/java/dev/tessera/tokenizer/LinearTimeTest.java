package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

/**
 * Pathological inputs: no stack overflow and near-linear time. The bound (1M vs 100k at most
 * 15x, linear would be 10x) is a complexity check, not a benchmark. Timing is the best of 3
 * runs of the encoding thread's CPU time: on a loaded machine, wall-clock time penalises
 * long runs (always preempted) against short ones (often not), which inflated the ratio.
 */
class LinearTimeTest {

    private static long bestNanos(Tokenizer t, String s) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t0 = mx.getCurrentThreadCpuTime();
            int[] ids = t.encode(s);
            long dt = mx.getCurrentThreadCpuTime() - t0;
            assertEquals(s, t.decode(ids));
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

    /** Inputs aimed at the scanners' re-scans (o200k's case rules, cl100k's newline rule). */
    @Test
    void adversarialScannerInputsScaleLinearly() {
        String[] units = {"\u0301A", "A\u0301", "\u0301AB1", "'A", " \n", "\u3000a", "a'"};
        for (Tokenizer t : new Tokenizer[] {Tokenizers.cl100kBase(), Tokenizers.o200kBase()}) {
            for (String unit : units) {
                bestNanos(t, unit.repeat(20_000));
                long small = bestNanos(t, unit.repeat(50_000));
                long large = bestNanos(t, unit.repeat(500_000));
                double ratio = (double) large / Math.max(small, 1);
                assertTrue(ratio <= 15, () -> "time ratio " + ratio + " for " + ScannerRegexEquivalenceTest.escape(unit));
            }
        }
    }
}
