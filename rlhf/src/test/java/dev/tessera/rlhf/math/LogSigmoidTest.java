package dev.tessera.rlhf.math;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class LogSigmoidTest {

    @Test
    void valuesIncludingExtremes() {
        INDArray y = LogSigmoid.of(Tensor.of(new double[] {0, 1e4, -1e4, 2, -2}, 5)).data();
        assertEquals(-Math.log(2), y.getDouble(0), 1e-15);
        assertEquals(0, y.getDouble(1), 0);
        assertEquals(-1e4, y.getDouble(2), 0);
        assertEquals(Math.log(1 / (1 + Math.exp(-2))), y.getDouble(3), 1e-15);
        assertEquals(Math.log(1 / (1 + Math.exp(2))), y.getDouble(4), 1e-15);
    }

    @Test
    void gradients() {
        GradCheck.check("logSigmoid", GradCheck.LOSS_TOLERANCE, in -> LogSigmoid.of(in[0]),
                Tensor.variable(new Rng(2).normal(org.nd4j.linalg.api.buffer.DataType.DOUBLE, 0, 4, 3, 4)));
    }
}
