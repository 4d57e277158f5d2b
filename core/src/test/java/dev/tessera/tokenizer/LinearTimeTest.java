package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

/**
 * Pathological inputs: no stack overflow and near-linear time. The bound (1M vs 100k at most
 * 30x; linear is 10x, quadratic 100x) is a complexity check, not a benchmark; 15x proved too
 * tight under a load of 15 on 2 cores (one failure at 15.65). Timing is the best of a
 * few runs of the encoding thread's CPU time: on a loaded machine, wall-clock time penalises
 * long runs (always preempted) against short ones (often not), which inflated the ratio.
 */
class LinearTimeTest {

    private static long bestNanos(Tokenizer t, String s) {
        return bestNanos(t, s, 3);
    }

    private static long bestNanos(Tokenizer t, String s, int runs) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
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
                String s100k = unit.repeat(100_000);
                String s1m = unit.repeat(1_000_000);
                long t100k = bestNanos(t, s100k, 3);
                long t1m = bestNanos(t, s1m, 2);
                if (t1m > 30 * t100k) { // one more round before failing: other processes pollute caches
                    t100k = Math.min(t100k, bestNanos(t, s100k, 3));
                    t1m = Math.min(t1m, bestNanos(t, s1m, 2));
                }
                double ratio = (double) t1m / Math.max(t100k, 1);
                assertTrue(ratio <= 30, () -> "time(1M)/time(100k) = " + ratio + " for " + ScannerRegexEquivalenceTest.escape(unit));
            }
        }
    }

    /**
     * Inputs aimed at the scanners' re-scans (o200k's case rules, cl100k's newline rule).
     * Bound 20 for 10x the input: a quadratic scanner would give about 100.
     */
    @Test
    void adversarialScannerInputsScaleLinearly() {
        String[] units = {"\u0301A", "\u0301AB1", " \n", "\u3000a"};
        for (Tokenizer t : new Tokenizer[] {Tokenizers.cl100kBase(), Tokenizers.o200kBase()}) {
            for (String unit : units) {
                long small = bestNanos(t, unit.repeat(25_000), 4);
                long large = bestNanos(t, unit.repeat(250_000), 2);
                double ratio = (double) large / Math.max(small, 1);
                assertTrue(ratio <= 20, () -> "time ratio " + ratio + " for " + ScannerRegexEquivalenceTest.escape(unit));
            }
        }
    }
}
