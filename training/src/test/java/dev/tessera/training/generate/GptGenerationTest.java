package dev.tessera.training.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.GptDecodeStep;
import dev.tessera.attention.model.CausalLm;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class GptGenerationTest {
    private static final int[][] PROMPTS = {{1, 2, 3, 4, 5}, {7}, {9, 8, 7}};

    /** The last-position head equals the last position of the full logits, batch 2. */
    @Test
    void lastLogitsEqualTheFullForwardsLastPosition() {
        GptModel gpt = new GptModel(GptConfig.tiny(), new Rng(4), DataType.DOUBLE);
        gpt.eval();
        CausalLm lm = gpt;
        INDArray ids = Nd4j.createFromArray(new int[][] {{1, 2, 3, 4}, {9, 8, 7, 6}}); // (2, 4)
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            INDArray last = lm.lastLogits(ids, null).data(); // (2, 1, V)
            assertArrayEquals(new long[] {2, 1, gpt.config().vocabSize()}, last.shape());
            INDArray want = lm.forward(ids).data().get(NDArrayIndex.all(), NDArrayIndex.interval(3, 4), NDArrayIndex.all());
            double err = want.sub(last).amaxNumber().doubleValue();
            assertTrue(err < 1e-12, "max difference " + err);
        }
    }

    @Test
    void kvCacheMatchesRecomputationBatchedAndAlone() {
        GptModel gpt = new GptModel(GptConfig.tiny(), new Rng(3), DataType.DOUBLE);
        gpt.eval();
        CausalLm lm = gpt;
        for (SamplingConfig c : new SamplingConfig[] {SamplingConfig.greedy(10),
                SamplingConfig.sample(1.0, 0.9, 10, 5).withTopK(20).withRepetitionPenalty(1.1)}) {
            Generation cached = Generator.generate(lm, PROMPTS, c, true);
            Generation plain = Generator.generate(lm, PROMPTS, c, false);
            for (int i = 0; i < PROMPTS.length; i++) {
                assertArrayEquals(plain.tokens()[i], cached.tokens()[i], c + " row " + i);
                assertEquals(10, cached.tokens()[i].length);
                if (c.temperature() == 0) {
                    assertArrayEquals(Generator.generate(lm, new int[][] {PROMPTS[i]}, c, true).tokens()[0],
                            cached.tokens()[i], "batched vs alone, row " + i);
                }
            }
        }
        // a context-length stop: 32 positions, prompt of 5 → at most 27 new tokens
        Generation full = Generator.generate(lm, new int[][] {PROMPTS[0]}, SamplingConfig.greedy(100), true);
        assertEquals(27, full.tokens()[0].length);
        assertEquals(FinishReason.CONTEXT_FULL, full.reasons()[0]);
    }

    /**
     * Generation with the decode fast path ({@link GptDecodeStep}, the default) and with the
     * general cache path gives the same tokens, float32, batch 3 with prompts of 5, 1 and 3 tokens,
     * greedy and sampled (the sampler sees the logits, so a drift would change its choices).
     */
    @Test
    void decodeFastPathGeneratesWhatTheGeneralPathGenerates() {
        GptModel gpt = new GptModel(GptConfig.tiny(), new Rng(5), DataType.FLOAT);
        gpt.eval();
        CausalLm lm = gpt;
        for (SamplingConfig c : new SamplingConfig[] {SamplingConfig.greedy(12), SamplingConfig.sample(1.0, 0.95, 12, 7)}) {
            Generation fast = Generator.generate(lm, PROMPTS, c, true);
            Generation general;
            GptDecodeStep.setEnabled(false);
            try {
                general = Generator.generate(lm, PROMPTS, c, true);
            } finally {
                GptDecodeStep.setEnabled(true);
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                assertArrayEquals(general.tokens()[i], fast.tokens()[i], c + " row " + i);
            }
        }
    }
}
