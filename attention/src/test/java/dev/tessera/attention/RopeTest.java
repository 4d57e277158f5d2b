package dev.tessera.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RopeTest {

    @Test
    void gradientCheckWithEveryScaling() {
        INDArray pos = Nd4j.createFromArray(new long[][] {{0, 1, 2}, {5, 6, 9}});
        for (RopeScaling s : RopeScaling.values()) {
            RopeConfig c = new RopeConfig(100, s, 2);
            GradCheck.check("rope " + s, in -> Rope.apply(in[0], pos, c), GradCheck.randomVariable(new Rng(1), 2, 2, 3, 4));
        }
    }

    @Test
    void scoresDependOnlyOnRelativePosition() {
        Rng rng = new Rng(2);
        INDArray q = rng.normal(DataType.DOUBLE, 0, 1, 1, 1, 1, 8);
        INDArray k = rng.normal(DataType.DOUBLE, 0, 1, 1, 1, 1, 8);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            double a = dot(q, k, 3, 1);
            double b = dot(q, k, 10, 8);
            assertEquals(a, b, 1e-12);
            // zero offset leaves the dot product unchanged (rotation by the same angle)
            assertEquals(q.mul(k).sumNumber().doubleValue(), dot(q, k, 7, 7), 1e-12);
        }
    }

    private static double dot(INDArray q, INDArray k, long pq, long pk) {
        RopeConfig c = RopeConfig.standard();
        INDArray rq = Rope.apply(Tensor.constant(q), Nd4j.createFromArray(new long[][] {{pq}}), c).data();
        INDArray rk = Rope.apply(Tensor.constant(k), Nd4j.createFromArray(new long[][] {{pk}}), c).data();
        return rq.mul(rk).sumNumber().doubleValue();
    }

    @Test
    void scalingRules() {
        RopeConfig linear = new RopeConfig(10_000, RopeScaling.LINEAR, 4);
        assertEquals(2.5, linear.scaledPosition(10), 0);
        RopeConfig ntk = new RopeConfig(10_000, RopeScaling.NTK, 4);
        // NTK raises the base to base·factor^(D/(D-2)): the slowest frequency of D=8 is 1/(base')^(6/8)
        double baseP = 10_000 * Math.pow(4, 8 / 6.0);
        assertEquals(1 / Math.pow(baseP, 6 / 8.0), ntk.inverseFrequencies(8)[3], 1e-15);
        assertEquals(1.0, RopeConfig.standard().inverseFrequencies(8)[0], 0);
        assertThrows(IllegalArgumentException.class, () -> new RopeConfig(1, RopeScaling.NONE, 1));
        assertThrows(IllegalArgumentException.class, () -> new RopeConfig(100, RopeScaling.LINEAR, 0.5));
        assertThrows(IllegalArgumentException.class, () -> Rope.apply(Tensor.constant(Nd4j.zeros(1, 1, 2, 3)),
                Nd4j.zeros(DataType.LONG, 1, 2), RopeConfig.standard()));
    }

    @Test
    void alibiSlopesFollowThePaper() {
        double[] s8 = Alibi.slopes(8);
        assertEquals(0.5, s8[0], 1e-15);
        assertEquals(1.0 / 256, s8[7], 1e-15);
        double[] s6 = Alibi.slopes(6); // 4 from the power of two, then every other of 8
        assertEquals(Alibi.slopes(4)[3], s6[3], 0);
        assertEquals(Alibi.slopes(8)[0], s6[4], 0);
        assertEquals(Alibi.slopes(8)[2], s6[5], 0);
    }
}
