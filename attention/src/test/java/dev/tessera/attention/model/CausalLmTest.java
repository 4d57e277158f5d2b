package dev.tessera.attention.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** GPT-2 and Llama through the {@link CausalLm} interface: incremental decoding, last-position logits, copies. */
class CausalLmTest {
    private static final GptConfig GPT = new GptConfig(40, 16, 16, 2, 2, 0.0, 1e-5);
    private static final LlamaConfig LLAMA = LlamaConfig.tiny();

    static Stream<Function<Rng, CausalLm>> models() {
        return Stream.of(rng -> new GptModel(GPT, rng, DataType.DOUBLE), rng -> new LlamaModel(LLAMA, rng, DataType.DOUBLE));
    }

    /** A prompt chunk then one token at a time through the decoder gives the full forward's logits. */
    @ParameterizedTest
    @MethodSource("models")
    void decoderStepsMatchTheFullForward(Function<Rng, CausalLm> make) {
        CausalLm lm = make.apply(new Rng(1));
        INDArray ids = ModelTesting.ids(new int[][] {{1, 5, 9, 3, 7, 2}, {4, 4, 8, 1, 0, 6}}); // (2, 6)
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            INDArray full = lm.forward(ids).data(); // (2, 6, V)
            CausalLm.Decoder d = lm.newDecoder(2, 6);
            INDArray first = d.step(ids.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4)).dup(), null).data(); // (2, 4, V)
            ModelTesting.assertClose("prompt", full.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4), NDArrayIndex.all()),
                    first, 1e-10);
            for (int t = 4; t < 6; t++) {
                INDArray step = d.step(ids.get(NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1)).dup(), null).data();
                ModelTesting.assertClose("position " + t,
                        full.get(NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1), NDArrayIndex.all()), step, 1e-10);
            }
            INDArray last = lm.lastLogits(ids, null).data(); // (2, 1, V)
            ModelTesting.assertClose("last position", full.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 6),
                    NDArrayIndex.all()), last, 1e-12);
        }
    }

    /** A copy has the same class, sizes, logits and train/eval mode, and shares no parameter storage. */
    @ParameterizedTest
    @MethodSource("models")
    void copyIsEqualButIndependent(Function<Rng, CausalLm> make) {
        CausalLm lm = make.apply(new Rng(2));
        lm.module().eval();
        CausalLm c = lm.copy();
        assertNotSame(lm, c);
        assertEquals(lm.getClass(), c.getClass());
        assertEquals(lm.vocabSize(), c.vocabSize());
        assertEquals(lm.hiddenSize(), c.hiddenSize());
        assertEquals(lm.contextLength(), c.contextLength());
        assertEquals(lm.dtype(), c.dtype());
        assertFalse(c.module().isTraining());
        INDArray ids = ModelTesting.ids(new int[][] {{1, 2, 3}});
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertEquals(lm.forward(ids).data(), c.forward(ids).data());
            for (var p : c.module().parameters()) { // one element of every parameter (a uniform shift may cancel in a norm)
                p.data().putScalar(0, p.data().getDouble(0) + 0.5);
            }
            assertFalse(lm.forward(ids).data().equals(c.forward(ids).data()), "changing the copy changed the original");
        }
        assertTrue(lm.module() == lm, "a decoder model owns its parameters");
    }
}
