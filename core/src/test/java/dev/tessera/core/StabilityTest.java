package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Softmax, log-softmax and log-sum-exp with huge and infinite logits. */
class StabilityTest {
    private static double referenceLogSumExp(double[] row) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : row) {
            m = Math.max(m, v);
        }
        if (m == Double.NEGATIVE_INFINITY) {
            return m;
        }
        double s = 0;
        for (double v : row) {
            s += Math.exp(v - m);
        }
        return m + Math.log(s);
    }

    @Test
    void extremeLogitsGiveNoNaN() {
        double inf = Double.NEGATIVE_INFINITY;
        double[][] rows = {
            {1e4, -1e4, 0, 3}, {1e8, 1e8, -1e8, 0}, {inf, 2, inf, -1}, {-1e8, -1e8, -1e8, -1e8}, {inf, inf, inf, inf}};
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Tensor x = Tensor.variable(Nd4j.createFromArray(rows).castTo(dtype));
            Tensor lse = x.logSumExp(-1, false);
            Tensor sm = x.softmax(-1);
            Tensor lsm = x.logSoftmax(-1);
            for (int r = 0; r < rows.length; r++) {
                double expected = referenceLogSumExp(rows[r]);
                double actual = lse.data().getDouble(r);
                if (Double.isInfinite(expected)) {
                    assertEquals(expected, actual);
                } else {
                    assertEquals(expected, actual, Math.abs(expected) * 1e-6 + 1e-6, "row " + r + " " + dtype);
                }
            }
            assertFalse(sm.data().isNaN().any(), "softmax NaN for " + dtype);
            assertEquals(0.0, sm.data().getRow(4).sumNumber().doubleValue(), 0, "all -inf row gives zeros");
            assertEquals(1.0, sm.data().getRow(2).sumNumber().doubleValue(), 1e-6);
            x.softmax(-1).sum().backward();
            lse.sum().backward();
            assertFalse(x.grad().isNaN().any(), "gradient NaN for " + dtype);
            assertTrue(lsm.data().getDouble(0, 1) < -1e3);
        }
    }
}
