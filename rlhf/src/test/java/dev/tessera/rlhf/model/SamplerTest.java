package dev.tessera.rlhf.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.rlhf.TinyLm;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class SamplerTest {

    @Test
    void greedyMatchesFullRecomputation() {
        TinyLm lm = new TinyLm(12, 8, 16, 1, DataType.FLOAT);
        int[][] prompts = {{1, 4, 5}, {1, 6, 7}};
        int[][] out = Sampler.sameLength(lm, prompts, new Sampler.Settings(5, 0, 3, 8), new Rng(0));
        for (int i = 0; i < prompts.length; i++) {
            // recompute greedily with full forwards, no cache
            int[] seq = prompts[i].clone();
            for (int step = 0; step < out[i].length; step++) {
                double[] logits = lm.forward(org.nd4j.linalg.factory.Nd4j.createFromArray(new int[][] {seq}))
                        .data().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                                org.nd4j.linalg.indexing.NDArrayIndex.point(seq.length - 1),
                                org.nd4j.linalg.indexing.NDArrayIndex.all()).castTo(DataType.DOUBLE).toDoubleVector();
                int best = 0;
                for (int v = 1; v < logits.length; v++) {
                    best = logits[v] > logits[best] ? v : best;
                }
                assertEquals(best, out[i][step], "row " + i + " step " + step);
                seq = java.util.Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = best;
            }
        }
    }

    @Test
    void usesTheIncrementalDecoderOncePerStep() {
        TinyLm lm = new TinyLm(12, 8, 16, 2, DataType.FLOAT);
        int[][] out = Sampler.sameLength(lm, new int[][] {{1, 4}, {1, 5}}, new Sampler.Settings(4, 1.0, 99, 8), new Rng(3));
        // end token 99 never appears: 4 tokens each, prompts fed once, then one feed per further token
        assertEquals(4, out[0].length);
        assertEquals(4, lm.decoderFeeds);
        assertEquals(0, lm.hiddenCalls, "no full-sequence forward while sampling");
    }

    @Test
    void stopsAtEndTokenAndKeepsOrderAcrossLengthGroups() {
        TinyLm lm = new TinyLm(6, 8, 16, 3, DataType.FLOAT);
        Rng rng = new Rng(5);
        List<int[]> prompts = List.of(new int[] {1, 4}, new int[] {1, 4, 5}, new int[] {1, 5});
        List<int[]> out = Sampler.generate(lm, prompts, new Sampler.Settings(10, 1.0, 3, 8), rng);
        assertEquals(3, out.size());
        for (int[] r : out) {
            assertTrue(r.length >= 1 && r.length <= 10);
            for (int i = 0; i < r.length - 1; i++) {
                assertTrue(r[i] != 3, "nothing after the end token");
            }
        }
        // same seed, same samples; order of prompts preserved
        List<int[]> again = Sampler.generate(lm, prompts, new Sampler.Settings(10, 1.0, 3, 8), new Rng(5));
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(out.get(i), again.get(i));
        }
    }

    @Test
    void samplingFollowsTheDistribution() {
        double[] logits = {Math.log(0.7), Math.log(0.2), Math.log(0.1)};
        Rng rng = new Rng(9);
        int[] counts = new int[3];
        for (int i = 0; i < 20000; i++) {
            counts[Sampler.pick(logits, 1.0, rng)]++;
        }
        assertEquals(0.7, counts[0] / 20000.0, 0.015);
        assertEquals(0.1, counts[2] / 20000.0, 0.01);
        assertEquals(0, Sampler.pick(logits, 0, rng));
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(0, 1, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Settings(1, -1, 3, 1));
        TinyLm lm = new TinyLm(6, 4, 4, 3, DataType.FLOAT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sampler.sameLength(lm, new int[][] {{1, 2}, {1}}, new Sampler.Settings(2, 0, 3, 4), new Rng(1)));
        assertTrue(e.getMessage().contains("prompts[1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Sampler.sameLength(lm, new int[][] {{1, 2, 4, 5}}, new Sampler.Settings(2, 0, 3, 4), new Rng(1)));
    }

    @Test
    void nonFiniteLogitsAreAnErrorNotADraw() {
        Rng rng = new Rng(3);
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Sampler.pick(new double[] {0, bad, 1}, 1.0, rng));
            assertTrue(e.getMessage().contains("token 1") && e.getMessage().contains(String.valueOf(bad)), e.getMessage());
            assertThrows(IllegalStateException.class, () -> Sampler.pick(new double[] {0, bad, 1}, 0.0, rng));
        }
        double inf = Double.NEGATIVE_INFINITY;
        assertThrows(IllegalStateException.class, () -> Sampler.pick(new double[] {inf, inf}, 1.0, rng));
        assertEquals(1, Sampler.pick(new double[] {inf, 0, inf}, 1.0, rng), "-inf alone is a token that cannot be drawn");
    }
}
