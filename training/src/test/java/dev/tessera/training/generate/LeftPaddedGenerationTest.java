package dev.tessera.training.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.attention.model.DecoderModel;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.attention.model.LlamaConfig;
import dev.tessera.attention.model.LlamaModel;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Left-padded batches of prompts with different lengths: each sequence gets exactly the tokens and
 * (to rounding) the logits it gets alone, for GPT-2 (learned positions) and Llama (rotary
 * positions, grouped key/value heads).
 */
class LeftPaddedGenerationTest {
    private static final int[][] PROMPTS = {{1, 2, 3, 4, 5}, {7}, {9, 8, 7}, {30, 31}};

    static Stream<Function<DataType, DecoderModel>> models() {
        return Stream.of(dt -> scaled(new GptModel(GptConfig.tiny(), new Rng(21), dt)),
                dt -> scaled(new LlamaModel(LlamaConfig.tiny(), new Rng(22), dt)));
    }

    /** Larger weights than the initialisation, so that greedy continuations vary instead of repeating one token. */
    private static DecoderModel scaled(DecoderModel m) {
        m.parameters().forEach(p -> p.data().muli(4));
        m.eval();
        return m;
    }

    @ParameterizedTest
    @MethodSource("models")
    void greedyTokensInAMixedBatchEqualTheTokensAlone(Function<DataType, DecoderModel> make) {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            CausalLm lm = make.apply(dt);
            for (boolean cache : dt == DataType.DOUBLE ? new boolean[] {true, false} : new boolean[] {true}) {
                Generation batch = Generator.generate(lm, PROMPTS, SamplingConfig.greedy(8), cache);
                for (int i = 0; i < PROMPTS.length; i++) {
                    int[] alone = Generator.generate(lm, new int[][] {PROMPTS[i]}, SamplingConfig.greedy(8), cache)
                            .tokens()[0];
                    assertArrayEquals(alone, batch.tokens()[i], dt + " cache " + cache + " row " + i);
                    assertEquals(FinishReason.MAX_NEW_TOKENS, batch.reasons()[i]);
                }
            }
        }
    }

    /**
     * The decoder's logits for a left-padded prompt chunk and the following unmasked steps equal
     * the logits of each sequence decoded alone, float64.
     */
    @ParameterizedTest
    @MethodSource("models")
    void leftPaddedDecoderLogitsEqualTheLogitsAlone(Function<DataType, DecoderModel> make) {
        CausalLm lm = make.apply(DataType.DOUBLE);
        int b = PROMPTS.length;
        int longest = 5;
        int[] next = {11, 12, 13, 14}; // (B) one more token per sequence, fed twice
        int[] padded = new int[b * longest];
        float[] mask = new float[b * longest];
        for (int i = 0; i < b; i++) {
            int pad = longest - PROMPTS[i].length;
            System.arraycopy(PROMPTS[i], 0, padded, i * longest + pad, PROMPTS[i].length);
            for (int j = pad; j < longest; j++) {
                mask[i * longest + j] = 1;
            }
        }
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            CausalLm.Decoder d = lm.newDecoder(b, longest + 2);
            INDArray prompt = d.step(Nd4j.createFromArray(padded).reshape('c', b, longest),
                    Nd4j.createFromArray(mask).reshape('c', b, longest)).data(); // (B, 5, V)
            INDArray step1 = d.step(Nd4j.createFromArray(next).reshape('c', b, 1), null).data(); // (B, 1, V)
            INDArray step2 = d.step(Nd4j.createFromArray(next).reshape('c', b, 1), null).data(); // (B, 1, V)
            for (int i = 0; i < b; i++) {
                int n = PROMPTS[i].length;
                int[] full = new int[n + 2];
                System.arraycopy(PROMPTS[i], 0, full, 0, n);
                full[n] = next[i];
                full[n + 1] = next[i];
                INDArray alone = lm.forward(Nd4j.createFromArray(full).reshape('c', 1, n + 2)).data(); // (1, n + 2, V)
                INDArray promptRows = prompt.get(NDArrayIndex.point(i), NDArrayIndex.interval(longest - n, longest),
                        NDArrayIndex.all());
                assertClose(alone.get(NDArrayIndex.point(0), NDArrayIndex.interval(0, n), NDArrayIndex.all()), promptRows,
                        "prompt row " + i);
                assertClose(alone.get(NDArrayIndex.point(0), NDArrayIndex.point(n), NDArrayIndex.all()),
                        step1.get(NDArrayIndex.point(i), NDArrayIndex.point(0), NDArrayIndex.all()), "step 1 row " + i);
                assertClose(alone.get(NDArrayIndex.point(0), NDArrayIndex.point(n + 1), NDArrayIndex.all()),
                        step2.get(NDArrayIndex.point(i), NDArrayIndex.point(0), NDArrayIndex.all()), "step 2 row " + i);
            }
        }
    }

    private static void assertClose(INDArray want, INDArray got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what);
        double err = want.sub(got).amaxNumber().doubleValue();
        assertTrue(err < 1e-9, what + ": max difference " + err);
    }
}
