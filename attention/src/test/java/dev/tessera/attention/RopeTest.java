package dev.tessera.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
            RopeConfig c = s == RopeScaling.LLAMA3 ? RopeConfig.llama3(100, 2, 1, 4, 16) : new RopeConfig(100, s, 2);
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
    void llama3ScalingKeepsShortWavelengthsDividesLongOnesAndBlendsBetween() {
        // head size 8, base 10,000: frequencies 1, 0.1, 0.01, 0.001 (wavelengths 6.3, 63, 628, 6283);
        // original context 1024 with factors 1 and 4: kept below 256, divided by 8 above 1024
        RopeConfig c = RopeConfig.llama3(10_000, 8, 1, 4, 1024);
        double[] f = c.inverseFrequencies(8);
        assertEquals(1.0, f[0], 1e-15);
        assertEquals(0.1, f[1], 1e-15);
        double wavelength = 2 * Math.PI / 0.01;
        double smooth = (1024 / wavelength - 1) / (4 - 1);
        assertEquals((1 - smooth) * 0.01 / 8 + smooth * 0.01, f[2], 1e-15);
        assertEquals(0.001 / 8, f[3], 1e-15);
        assertEquals(0.003086760967011274, f[2], 1e-12); // the generator script's PyTorch value
        assertEquals(c.base(), RopeConfig.standard().base(), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RopeConfig.llama3(10_000, 8, 4, 1, 1024));
        assertTrue(e.getMessage().contains("highFreqFactor"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new RopeConfig(10_000, RopeScaling.LINEAR, 2, 1, 4, 1024));
        assertTrue(e.getMessage().contains("LLAMA3"), e.getMessage());
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
