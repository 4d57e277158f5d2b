package dev.tessera.rlhf.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.RopeConfig;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.LlamaConfig;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.function.Function;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class DecoderLmCopyTest {
    private static final GptConfig CONFIG = new GptConfig(40, 16, 16, 2, 2, 0.0, 1e-5);
    /** The same size as {@link #CONFIG} in Llama's layout: rotary positions, RmsNorm, SwiGLU, tied head. */
    private static final LlamaConfig LLAMA = new LlamaConfig(40, 16, 16, 2, 2, 2, 48, 1e-5, RopeConfig.standard(), 0, true);

    static Stream<Function<Rng, DecoderLm>> models() {
        return Stream.of(rng -> DecoderLm.gpt(CONFIG, rng, DataType.FLOAT), rng -> DecoderLm.llama(LLAMA, rng, DataType.FLOAT));
    }

    @ParameterizedTest
    @MethodSource("models")
    void incrementalDecodingMatchesTheFullForward(Function<Rng, DecoderLm> model) {
        DecoderLm lm = model.apply(new Rng(1));
        INDArray ids = Nd4j.createFromArray(new int[][] {{1, 5, 9, 3, 7, 2}, {4, 4, 8, 1, 0, 6}}); // (2, 6)
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            INDArray full = lm.forward(ids).data(); // (2, 6, 40)
            CausalLm.Decoder d = lm.decoder(2);
            INDArray first = d.feed(ids.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4)).dup()).data(); // (2, 4, 40)
            INDArray fifth = d.feed(ids.get(NDArrayIndex.all(), NDArrayIndex.interval(4, 5)).dup()).data(); // (2, 1, 40)
            INDArray sixth = d.feed(ids.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 6)).dup()).data(); // (2, 1, 40)
            assertEquals(6, d.length());
            assertClose(full.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4), NDArrayIndex.all()), first);
            assertClose(full.get(NDArrayIndex.all(), NDArrayIndex.interval(4, 5), NDArrayIndex.all()), fifth);
            assertClose(full.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 6), NDArrayIndex.all()), sixth);
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void copyIsEqualButIndependent(Function<Rng, DecoderLm> model) {
        DecoderLm lm = model.apply(new Rng(2));
        DecoderLm c = lm.copy();
        assertEquals(lm.model().getClass(), c.model().getClass());
        INDArray ids = Nd4j.createFromArray(new int[][] {{1, 2, 3}});
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertEquals(lm.forward(ids).data(), c.forward(ids).data());
            c.module().parameters().get(0).data().addi(1.0);
            assertFalse(lm.forward(ids).data().equals(c.forward(ids).data()), "changing the copy changed the original");
        }
        assertEquals(40, lm.vocabSize());
        assertEquals(16, lm.hiddenSize());
        assertEquals(16, lm.contextLength());
    }

    @Test
    void rejectsANullModel() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DecoderLm(null));
        assertTrue(e.getMessage().contains("model"), e.getMessage());
    }

    private static void assertClose(INDArray expected, INDArray actual) {
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff < 1e-4, "max |difference| " + diff);
    }
}
