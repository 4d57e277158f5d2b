package dev.tessera.rlhf.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tessera.attention.model.GptConfig;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class DecoderLmTest {
    private static DecoderLm tiny(DataType dt) {
        return DecoderLm.gpt(new GptConfig(18, 16, 32, 1, 2, 0.0, 1e-5), new Rng(3), dt);
    }

    @Test
    void kvCacheDecodingMatchesFullForwards() {
        DecoderLm lm = tiny(DataType.DOUBLE);
        INDArray ids = Nd4j.createFromArray(new int[][] {{1, 4, 9, 2, 7, 8}, {1, 5, 10, 2, 3, 9}});
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            INDArray full = lm.forward(ids).data(); // (2, 6, V)
            CausalLm.Decoder d = lm.decoder(2);
            INDArray first = d.feed(ids.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4)).dup()).data();
            assertEquals(0, first.sub(full.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4), NDArrayIndex.all()))
                    .amaxNumber().doubleValue(), 1e-10);
            for (int t = 4; t < 6; t++) {
                INDArray step = d.feed(ids.get(NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1)).dup()).data();
                INDArray expected = full.get(NDArrayIndex.all(), NDArrayIndex.interval(t, t + 1), NDArrayIndex.all());
                assertEquals(0, step.sub(expected).amaxNumber().doubleValue(), 1e-10, "position " + t);
            }
            assertEquals(6, d.length());
        }
    }

    @Test
    void rightPaddingDoesNotChangeEarlierPositions() {
        DecoderLm lm = tiny(DataType.DOUBLE);
        RewardModel rm = new RewardModel(lm, new Rng(4));
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            double alone = rm.scores(Nd4j.createFromArray(new int[][] {{1, 4, 2, 9, 3}}), new int[] {5}).item();
            Tensor batch = rm.scores(Nd4j.createFromArray(new int[][] {{1, 4, 2, 9, 3, 0, 0, 0}, {1, 5, 5, 2, 9, 9, 9, 3}}),
                    new int[] {5, 8});
            assertEquals(alone, batch.data().getDouble(0), 1e-10);
        }
    }

    @Test
    void copyIsIndependent() {
        DecoderLm lm = tiny(DataType.FLOAT);
        DecoderLm c = lm.copy();
        INDArray ids = Nd4j.createFromArray(new int[][] {{1, 4, 2}});
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertEquals(0, lm.forward(ids).data().sub(c.forward(ids).data()).amaxNumber().doubleValue(), 0);
            c.module().parameters().get(0).data().addi(1.0);
            assertFalse(lm.forward(ids).data().equals(c.forward(ids).data()));
        }
    }
}
