package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A NaN or infinite bias must reach the output of a linear layer. ND4J's row-vector add with a
 * length-1 vector turned a NaN bias into 1e-5, so a width-1 head (a reward or value head) whose
 * bias had become NaN kept producing finite, plausible outputs.
 */
class LinearNonFiniteBiasTest {

    @Test
    void nonFiniteBiasReachesEveryOutputOfAWidthOneLayer() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Tensor x = Tensor.constant(Nd4j.ones(dt, 3, 2));
            Tensor w = Tensor.constant(Nd4j.ones(dt, 2, 1));
            for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                Tensor b = Tensor.constant(Nd4j.createFromArray(bad).castTo(dt));
                Tensor y = MatMul.linear(x, w, b); // (3, 1)
                for (int i = 0; i < 3; i++) {
                    assertEquals(bad, y.data().getDouble(i, 0), 0, dt + " bias " + bad + ", row " + i);
                }
            }
            // finite biases are unchanged by the fix, for width 1 and wider
            Tensor b = Tensor.constant(Nd4j.createFromArray(0.5).castTo(dt));
            assertEquals(2.5, MatMul.linear(x, w, b).data().getDouble(1, 0), 0);
            Tensor w3 = Tensor.constant(Nd4j.ones(dt, 2, 3));
            Tensor b3 = Tensor.constant(Nd4j.createFromArray(1.0, Double.NaN, -1.0).castTo(dt));
            Tensor y3 = MatMul.linear(x, w3, b3);
            assertEquals(3.0, y3.data().getDouble(2, 0), 0);
            assertEquals(Double.NaN, y3.data().getDouble(2, 1), 0);
            assertEquals(1.0, y3.data().getDouble(2, 2), 0);
        }
    }
}
