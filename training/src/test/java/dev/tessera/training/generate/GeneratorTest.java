package dev.tessera.training.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Module;
import dev.tessera.training.Flat;
import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GeneratorTest {
    /**
     * A causal toy model whose logits at position t depend on the whole prefix: row (Σ ids[0..t]
     * mod V) of a random table, padding not counted. Its "hidden state" (B, T, 1) is that running
     * sum; its decoder keeps the sums (the "cache").
     */
    static final class PrefixSumLm implements CausalLm {
        final int v;
        final long seed;
        final double[][] table;
        int calls;

        PrefixSumLm(int v, long seed) {
            this.v = v;
            this.seed = seed;
            Rng r = new Rng(seed);
            table = new double[v][v];
            for (double[] row : table) {
                for (int k = 0; k < v; k++) {
                    row[k] = 2 * r.nextGaussian();
                }
            }
        }

        @Override
        public Module module() {
            return new Module() {};
        }

        @Override
        public int vocabSize() {
            return v;
        }

        @Override
        public int hiddenSize() {
            return 1;
        }

        @Override
        public int contextLength() {
            return 40;
        }

        @Override
        public DataType dtype() {
            return DataType.DOUBLE;
        }

        /** Adds the real ids of (B, t) to {@code sums}; returns the running sums (B, t, 1). */
        private Tensor sums(INDArray ids, INDArray mask, long[] sums) {
            int b = (int) ids.size(0);
            int t = (int) ids.size(1);
            int[] flat = Flat.ints(ids);
            double[] real = mask == null ? null : mask.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            double[] out = new double[b * t];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    if (real == null || real[i * t + j] != 0) {
                        sums[i] += flat[i * t + j];
                    }
                    out[i * t + j] = sums[i];
                }
            }
            calls++;
            return Tensor.constant(Nd4j.create(out, new long[] {b, t, 1}, 'c'));
        }

        @Override
        public Tensor hidden(INDArray ids, INDArray attentionMask) {
            return sums(ids, attentionMask, new long[(int) ids.size(0)]);
        }

        @Override
        public Tensor logits(Tensor hidden) {
            double[] h = hidden.data().dup('c').data().asDouble();
            double[] out = new double[h.length * v];
            for (int r = 0; r < h.length; r++) {
                System.arraycopy(table[(int) ((long) h[r] % v)], 0, out, r * v, v);
            }
            return Tensor.constant(Nd4j.create(out, new long[] {hidden.size(0), hidden.size(1), v}, 'c'));
        }

        @Override
        public Decoder newDecoder(int batch, int capacity) {
            long[] sums = new long[batch];
            return (ids, mask) -> logits(sums(ids, mask, sums));
        }

        @Override
        public PrefixSumLm copy() {
            return new PrefixSumLm(v, seed);
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
        assertEquals(0, TokenChooser.choose(new double[] {2, 1, -5}, new int[0], 0, 0, greedy, new Rng(1)));
        // repetition penalty 4: 2 → 0.5 (seen), so 1 wins; negative seen logits are multiplied
        assertEquals(1, TokenChooser.choose(new double[] {2, 1, -5}, new int[] {0}, 0, 1, greedy.withRepetitionPenalty(4),
                new Rng(1)));
        // top-k 1 and a tiny top-p are greedy whatever the draws
        Rng rng = new Rng(2);
        for (int i = 0; i < 50; i++) {
            assertEquals(2, TokenChooser.choose(new double[] {0, 1, 1.5, -1}, new int[0], 0, 0,
                    SamplingConfig.sample(1.0, 1.0, 1, 0).withTopK(1), rng));
            assertEquals(2, TokenChooser.choose(new double[] {0, 1, 1.5, -1}, new int[0], 0, 0,
                    SamplingConfig.sample(1.0, 0.01, 1, 0), rng));
        }
        // temperature sampling follows softmax(z / T): z = log [0.5, 0.3, 0.2], T = 1
        int[] counts = new int[3];
        double[] z = {Math.log(0.5), Math.log(0.3), Math.log(0.2)};
        for (int i = 0; i < 20000; i++) {
            counts[TokenChooser.choose(z.clone(), new int[0], 0, 0, SamplingConfig.sample(1.0, 1.0, 1, 0), rng)]++;
        }
        assertEquals(0.5, counts[0] / 20000.0, 0.015);
        assertEquals(0.3, counts[1] / 20000.0, 0.015);
        // top-p 0.7 keeps {0.5, 0.3}: renormalised 0.625 / 0.375, never token 2
        int[] top = new int[3];
        for (int i = 0; i < 20000; i++) {
            top[TokenChooser.choose(z.clone(), new int[0], 0, 0, SamplingConfig.sample(1.0, 0.7, 1, 0), rng)]++;
        }
        assertEquals(0, top[2]);
        assertEquals(0.625, top[0] / 20000.0, 0.015);
        assertTrue(new SamplingConfig(0, 0, 1, 1, 1, null, 0).stopTokens().length == 0);
    }

    @Test
    void chooserRejectsLogitsWithoutADistribution() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
            for (SamplingConfig c : new SamplingConfig[] {SamplingConfig.greedy(1), SamplingConfig.sample(1.0, 1.0, 1, 0)}) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> TokenChooser.choose(new double[] {0, bad, 1}, new int[0], 0, 0, c, new Rng(1)));
                assertTrue(e.getMessage().contains("token 1"), e.getMessage());
            }
        }
        double inf = Double.NEGATIVE_INFINITY;
        assertThrows(IllegalStateException.class, () -> TokenChooser.choose(new double[] {inf, inf}, new int[0], 0, 0,
                SamplingConfig.sample(1.0, 1.0, 1, 0), new Rng(1)));
        for (int i = 0; i < 20; i++) {
            assertEquals(1, TokenChooser.choose(new double[] {inf, 0, inf}, new int[0], 0, 0,
                    SamplingConfig.sample(1.0, 1.0, 1, i), new Rng(i)), "-inf alone is a token that cannot be drawn");
        }
    }

    /** The repetition penalty sees a sequence's own tokens only, not the left padding before them. */
    @Test
    void repetitionPenaltyIgnoresPadding() {
        SamplingConfig c = SamplingConfig.greedy(1).withRepetitionPenalty(4);
        int[] history = {0, 0, 2}; // slots 0-1 padding (filled with id 0), slot 2 the prompt
        assertEquals(0, TokenChooser.choose(new double[] {2, 1, -5}, history, 2, 3, c, new Rng(1)));
        assertEquals(1, TokenChooser.choose(new double[] {2, 1, -5}, history, 0, 3, c, new Rng(1)));
    }

    /**
     * The listener sees every generated token once, in order per sequence, with the finish reason
     * on each sequence's last token and null before it.
     */
    @Test
    void streamingListenerSeesEveryTokenAndTheFinish() {
        PrefixSumLm lm = new PrefixSumLm(13, 4);
        int[] free = Generator.generate(lm, PROMPTS, SamplingConfig.sample(1.0, 1.0, 8, 9), true).tokens()[1];
        SamplingConfig c = SamplingConfig.sample(1.0, 1.0, 8, 9).withStopTokens(free[2]);
        List<List<Integer>> streamed = new ArrayList<>();
        FinishReason[] finishes = new FinishReason[PROMPTS.length];
        for (int i = 0; i < PROMPTS.length; i++) {
            streamed.add(new ArrayList<>());
        }
        Generation g = Generator.generate(lm, PROMPTS, c, true, (sequence, token, finish) -> {
            assertEquals(null, finishes[sequence], "a token after sequence " + sequence + " finished");
            streamed.get(sequence).add(token);
            finishes[sequence] = finish;
        });
        for (int i = 0; i < PROMPTS.length; i++) {
            assertArrayEquals(g.tokens()[i], streamed.get(i).stream().mapToInt(Integer::intValue).toArray(), "row " + i);
            assertEquals(g.reasons()[i], finishes[i], "row " + i);
        }
        assertEquals(FinishReason.STOP_TOKEN, finishes[1]);
        assertTrue(g.tokens()[1].length <= 3);
    }

    /**
     * Batches of 2 give, for greedy decoding, what one batch gives, in the prompts' order, and the
     * listener's indices are those of the prompts; sampled batches are reproducible from the seed.
     */
    @Test
    void generateInBatchesKeepsOrderAndSeed() {
        PrefixSumLm lm = new PrefixSumLm(17, 6);
        int[][] prompts = {{1, 2, 3}, {4}, {5, 6, 7, 8, 9, 10}, {2, 2}, {16}};
        Generation one = Generator.generate(lm, prompts, SamplingConfig.greedy(7), true);
        int[] seen = new int[prompts.length];
        Generation parts = Generator.generateInBatches(lm, prompts, SamplingConfig.greedy(7), 2,
                (sequence, token, finish) -> seen[sequence]++);
        for (int i = 0; i < prompts.length; i++) {
            assertArrayEquals(one.tokens()[i], parts.tokens()[i], "row " + i);
            assertEquals(7, seen[i], "row " + i);
        }
        SamplingConfig s = SamplingConfig.sample(1.0, 0.9, 7, 21);
        Generation a = Generator.generateInBatches(lm, prompts, s, 2, TokenListener.NONE);
        Generation b = Generator.generateInBatches(lm, prompts, s, 2, TokenListener.NONE);
        for (int i = 0; i < prompts.length; i++) {
            assertArrayEquals(a.tokens()[i], b.tokens()[i], "row " + i);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Generator.generateInBatches(lm, prompts, s, 0, TokenListener.NONE));
        assertTrue(e.getMessage().contains("batchSize"), e.getMessage());
    }

    /**
     * Mixed lengths reach the context limit one by one: each sequence stops at 40 positions of its
     * own (padding not counted), and the longer prompt's fillers beyond that are masked.
     */
    @Test
    void contextLimitIsPerSequenceInAMixedBatch() {
        PrefixSumLm lm = new PrefixSumLm(11, 8);
        int[][] prompts = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {3}};
        for (boolean cache : new boolean[] {true, false}) {
            Generation g = Generator.generate(lm, prompts, SamplingConfig.greedy(100), cache);
            assertEquals(30, g.tokens()[0].length);
            assertEquals(39, g.tokens()[1].length);
            assertEquals(FinishReason.CONTEXT_FULL, g.reasons()[0]);
            assertEquals(FinishReason.CONTEXT_FULL, g.reasons()[1]);
            assertArrayEquals(Generator.generate(lm, new int[][] {prompts[1]}, SamplingConfig.greedy(100), cache)
                    .tokens()[0], g.tokens()[1]);
        }
    }
}
