package dev.tessera.rlhf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.tessera.attention.RopeConfig;
import dev.tessera.attention.model.CausalLm;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.attention.model.LlamaConfig;
import dev.tessera.attention.model.LlamaModel;
import dev.tessera.core.Rng;
import dev.tessera.training.generate.Generator;
import dev.tessera.training.generate.SamplingConfig;
import dev.tessera.training.generate.TokenListener;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Greedy responses are what they were before RLHF sampled through {@link Generator}: the expected
 * ids were recorded from the former RLHF sampler (prompts grouped by length, no padding, end token
 * 3, at most 9 new tokens) and, where it applies, the former generator (no stop token), which
 * agreed. Prompts of four lengths now share one left-padded batch, or go one by one.
 */
class GreedyOutputsTest {
    private static final int[][] PROMPTS = {{1, 5, 9}, {4}, {7, 2, 2, 8, 3}, {6, 6}};
    private static final GptConfig GPT = new GptConfig(40, 16, 16, 2, 2, 0.0, 1e-5);
    private static final LlamaConfig LLAMA = new LlamaConfig(40, 16, 16, 2, 2, 2, 48, 1e-5, RopeConfig.standard(), 0, true);

    @Test
    void greedyResponsesAreUnchanged() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            CausalLm gpt = new GptModel(GPT, new Rng(11), dt);
            CausalLm llama = new LlamaModel(LLAMA, new Rng(12), dt);
            check(dt + " GPT", gpt, new int[][] {rep(9, 9), rep(29, 9), {3}, {6, 6, 6, 6, 6, 6, 24, 24, 24}});
            check(dt + " Llama", llama, new int[][] {rep(9, 9), rep(4, 9), {3}, rep(6, 9)});
            check(dt + " TinyLm", new TinyLm(12, 8, 16, 13, dt), new int[][] {{0, 4, 0, 2, 2, 2, 9, 4, 10},
                    {10, 8, 1, 2, 7, 2, 2, 2, 9}, {0, 2, 2, 2, 9, 4, 10, 8, 1}, {0, 1, 2, 7, 2, 2, 2, 9, 4}});
            // larger weights: continuations that vary
            gpt.module().parameters().forEach(p -> p.data().muli(4));
            llama.module().parameters().forEach(p -> p.data().muli(4));
            check(dt + " GPT x4", gpt, new int[][] {rep(37, 9), {9, 37, 33, 5, 5, 5, 5, 5, 5},
                    {24, 31, 31, 31, 31, 31, 31, 31, 31}, rep(19, 9)});
            check(dt + " Llama x4", llama, new int[][] {rep(17, 9), rep(5, 9), rep(17, 9), rep(31, 9)});
        }
    }

    private static void check(String what, CausalLm lm, int[][] expected) {
        lm.module().eval();
        SamplingConfig greedy = SamplingConfig.greedy(9).withStopTokens(3);
        for (int batch : new int[] {8, 1}) {
            int[][] got = Generator.generateInBatches(lm, PROMPTS, greedy, batch, TokenListener.NONE).tokens();
            for (int i = 0; i < PROMPTS.length; i++) {
                assertArrayEquals(expected[i], got[i], what + " batch " + batch + " prompt " + i);
            }
        }
    }

    private static int[] rep(int token, int n) {
        int[] r = new int[n];
        Arrays.fill(r, token);
        return r;
    }
}
