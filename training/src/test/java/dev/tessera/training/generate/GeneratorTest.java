package dev.tessera.training.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.training.Flat;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GeneratorTest {
    /**
     * A causal toy model whose logits at position t depend on the whole prefix: row (Σ ids[0..t]
     * mod V) of a random table. Its decoder keeps the running sums (the "cache").
     */
    static final class PrefixSumLm implements CausalLm {
        final int v;
        final double[][] table;
        int calls;

        PrefixSumLm(int v, long seed) {
            this.v = v;
            Rng r = new Rng(seed);
            table = new double[v][v];
            for (double[] row : table) {
                for (int k = 0; k < v; k++) {
                    row[k] = 2 * r.nextGaussian();
                }
            }
        }

        @Override
        public int vocabSize() {
            return v;
        }

        @Override
        public int contextLength() {
            return 40;
        }

        private Tensor logitsFrom(int[] ids, int b, int t, long[] sums) {
            double[] out = new double[b * t * v];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    sums[i] += ids[i * t + j];
                    System.arraycopy(table[(int) (sums[i] % v)], 0, out, (i * t + j) * v, v);
                }
            }
            calls++;
            return Tensor.constant(Nd4j.create(out, new long[] {b, t, v}, 'c'));
        }

        @Override
        public Tensor logits(INDArray ids) {
            return logitsFrom(Flat.ints(ids), (int) ids.size(0), (int) ids.size(1), new long[(int) ids.size(0)]);
        }

        @Override
        public Decoder decoder(int batch, int capacity) {
            long[] sums = new long[batch];
            return ids -> logitsFrom(Flat.ints(ids), (int) ids.size(0), (int) ids.size(1), sums);
        }
    }

    private static final int[][] PROMPTS = {{1, 2, 3}, {4}, {5, 6, 7, 8, 9, 10}};

    @Test
    void batchedWithAndWithoutCacheEqualsOneByOne() {
        PrefixSumLm lm = new PrefixSumLm(17, 1);
        for (SamplingConfig c : new SamplingConfig[] {SamplingConfig.greedy(12), SamplingConfig.sample(0.9, 0.95, 12, 3)
                .withTopK(8).withRepetitionPenalty(1.2)}) {
            Generation cached = Generator.generate(lm, PROMPTS, c, true);
            Generation plain = Generator.generate(lm, PROMPTS, c, false);
            for (int i = 0; i < PROMPTS.length; i++) {
                assertArrayEquals(plain.tokens()[i], cached.tokens()[i], "cache vs none, row " + i);
                assertEquals(12, cached.tokens()[i].length);
                assertEquals(FinishReason.MAX_NEW_TOKENS, cached.reasons()[i]);
                if (c.temperature() == 0) { // greedy: independent of the batch
                    int[] alone = Generator.generate(lm, new int[][] {PROMPTS[i]}, c, true).tokens()[0];
                    assertArrayEquals(alone, cached.tokens()[i], "batched vs alone, row " + i);
                }
            }
        }
    }

    @Test
    void greedyFollowsTheArgMaxChain() {
        PrefixSumLm lm = new PrefixSumLm(11, 2);
        int[] out = Generator.generate(lm, new int[][] {{3}}, SamplingConfig.greedy(5), true).tokens()[0];
        long sum = 3;
        for (int tok : out) {
            double[] row = lm.table[(int) (sum % 11)];
            int best = 0;
            for (int k = 1; k < 11; k++) {
                best = row[k] > row[best] ? k : best;
            }
            assertEquals(best, tok);
            sum += tok;
        }
    }

    @Test
    void stopTokensSeedsAndContext() {
        PrefixSumLm lm = new PrefixSumLm(13, 4);
        int[] free = Generator.generate(lm, new int[][] {{1}}, SamplingConfig.sample(1.0, 1.0, 30, 9), true).tokens()[0];
        int stop = free[4];
        int firstAt = -1;
        for (int i = 0; i < free.length && firstAt < 0; i++) {
            firstAt = free[i] == stop ? i : -1;
        }
        Generation g = Generator.generate(lm, new int[][] {{1}}, SamplingConfig.sample(1.0, 1.0, 30, 9).withStopTokens(stop), true);
        assertEquals(FinishReason.STOP_TOKEN, g.reasons()[0]);
        assertArrayEquals(Arrays.copyOf(free, firstAt + 1), g.tokens()[0]);
        int[] other = Generator.generate(lm, new int[][] {{1}}, SamplingConfig.sample(1.0, 1.0, 30, 10), true).tokens()[0];
        assertNotEquals(Arrays.toString(free), Arrays.toString(other), "different seeds differ");
        Generation full = Generator.generate(lm, new int[][] {{1, 2, 3}}, SamplingConfig.greedy(100), false);
        assertEquals(FinishReason.CONTEXT_FULL, full.reasons()[0]);
        assertEquals(40 - 3, full.tokens()[0].length);
        assertThrows(IllegalArgumentException.class,
                () -> Generator.generate(lm, new int[][] {{13}}, SamplingConfig.greedy(1), true));
    }

    @Test
    void chooserRules() {
        SamplingConfig greedy = SamplingConfig.greedy(1);
        assertEquals(0, TokenChooser.choose(new double[] {2, 1, -5}, new int[0], 0, greedy, new Rng(1)));
        // repetition penalty 4: 2 → 0.5 (seen), so 1 wins; negative seen logits are multiplied
        assertEquals(1, TokenChooser.choose(new double[] {2, 1, -5}, new int[] {0}, 1, greedy.withRepetitionPenalty(4),
                new Rng(1)));
        // top-k 1 and a tiny top-p are greedy whatever the draws
        Rng rng = new Rng(2);
        for (int i = 0; i < 50; i++) {
            assertEquals(2, TokenChooser.choose(new double[] {0, 1, 1.5, -1}, new int[0], 0,
                    SamplingConfig.sample(1.0, 1.0, 1, 0).withTopK(1), rng));
            assertEquals(2, TokenChooser.choose(new double[] {0, 1, 1.5, -1}, new int[0], 0,
                    SamplingConfig.sample(1.0, 0.01, 1, 0), rng));
        }
        // temperature sampling follows softmax(z / T): z = log [0.5, 0.3, 0.2], T = 1
        int[] counts = new int[3];
        double[] z = {Math.log(0.5), Math.log(0.3), Math.log(0.2)};
        for (int i = 0; i < 20000; i++) {
            counts[TokenChooser.choose(z.clone(), new int[0], 0, SamplingConfig.sample(1.0, 1.0, 1, 0), rng)]++;
        }
        assertEquals(0.5, counts[0] / 20000.0, 0.015);
        assertEquals(0.3, counts[1] / 20000.0, 0.015);
        // top-p 0.7 keeps {0.5, 0.3}: renormalised 0.625 / 0.375, never token 2
        int[] top = new int[3];
        for (int i = 0; i < 20000; i++) {
            top[TokenChooser.choose(z.clone(), new int[0], 0, SamplingConfig.sample(1.0, 0.7, 1, 0), rng)]++;
        }
        assertEquals(0, top[2]);
        assertEquals(0.625, top[0] / 20000.0, 0.015);
        assertTrue(new SamplingConfig(0, 0, 1, 1, 1, null, 0).stopTokens().length == 0);
    }
}
