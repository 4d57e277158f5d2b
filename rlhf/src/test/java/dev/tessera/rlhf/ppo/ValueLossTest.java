package dev.tessera.rlhf.ppo;

import static dev.tessera.rlhf.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.Golden;
import dev.tessera.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class ValueLossTest {

    @Test
    void matchesPyTorch() {
        Tensor v = Golden.variable("vf.v");
        ValueLoss.Result r = ValueLoss.clipped(v, Golden.constant("vf.old"), Golden.constant("vf.returns"),
                Golden.constant("mask"), 0.2);
        assertEquals(Golden.get("vf.loss").getDouble(0), r.loss().item(), 1e-13);
        assertEquals(Golden.get("vf.clipfrac").getDouble(0), r.clipFraction(), 1e-15);
        r.loss().backward();
        assertClose("vf.grad", v.grad(), 1e-12);
    }

    @Test
    void handComputed() {
        Tensor v = Tensor.variable(org.nd4j.linalg.factory.Nd4j.create(new double[] {1}, new long[] {1, 1}, DataType.DOUBLE));
        ValueLoss.Result r = ValueLoss.clipped(v, Tensor.zeros(DataType.DOUBLE, 1, 1),
                Tensor.of(new double[] {2}, 1, 1), Tensor.of(new double[] {1}, 1, 1), 0.2);
        assertEquals(1.62, r.loss().item(), 1e-14); // max((1-2)², (0.2-2)²) / 2
        assertEquals(1, r.clipFraction(), 0);
        r.loss().backward();
        assertEquals(0, v.grad().getDouble(0), 0);
        // no clip: plain half squared error, equal to mse()
        Tensor w = Tensor.variable(org.nd4j.linalg.factory.Nd4j.create(new double[] {1}, new long[] {1, 1}, DataType.DOUBLE));
        Tensor ret = Tensor.of(new double[] {2}, 1, 1);
        Tensor m = Tensor.of(new double[] {1}, 1, 1);
        assertEquals(0.5, ValueLoss.clipped(w, Tensor.zeros(DataType.DOUBLE, 1, 1), ret, m, Double.POSITIVE_INFINITY).loss().item(), 0);
        assertEquals(0.5, ValueLoss.mse(w, ret, m).item(), 0);
    }

    @Test
    void gradients() {
        Rng rng = new Rng(8);
        Tensor old = Tensor.constant(rng.normal(DataType.DOUBLE, 0, 1, 3, 6));
        Tensor ret = Tensor.constant(rng.normal(DataType.DOUBLE, 0, 1, 3, 6));
        Tensor mask = Golden.constant("mask");
        Tensor v = Tensor.variable(old.data().add(rng.normal(DataType.DOUBLE, 0, 0.4, 3, 6)));
        GradCheck.check("valueLoss", GradCheck.LOSS_TOLERANCE, in -> ValueLoss.clipped(in[0], old, ret, mask, 0.2).loss(), v);
        GradCheck.check("mse", GradCheck.LOSS_TOLERANCE, in -> ValueLoss.mse(in[0], ret, mask), v);
    }

    @Test
    void everyTokenInsideTheClipRangeGetsTheUnclippedGradient() {
        // old + (V − old) is not always V in float64; inside the range the clipped branch is V itself,
        // so the gradient must be V − R on every such token, never 0
        Rng rng = new Rng(21);
        int n = 20000;
        double c = 0.2;
        double[] v = new double[n], old = new double[n], ret = new double[n], ones = new double[n];
        for (int i = 0; i < n; i++) {
            // V and oldV drawn independently (V = old + δ would make V − old exact), kept when in range
            do {
                old[i] = 0.3 * rng.nextGaussian();
                v[i] = 0.3 * rng.nextGaussian();
            } while (Math.abs(v[i] - old[i]) > c);
            ret[i] = rng.nextGaussian();
            ones[i] = 1;
        }
        Tensor values = Tensor.variable(org.nd4j.linalg.factory.Nd4j.create(v, new long[] {1, n}, DataType.DOUBLE));
        ValueLoss.Result r = ValueLoss.clipped(values, Tensor.of(old, 1, n), Tensor.of(ret, 1, n), Tensor.of(ones, 1, n), c);
        assertEquals(0, r.clipFraction(), 0, "no token is outside the clip range, so none is clipped");
        r.loss().backward();
        int wrong = 0;
        for (int i = 0; i < n; i++) {
            double g = values.grad().getDouble(0, i);
            double expected = (v[i] - ret[i]) / n;
            if (Math.abs(g - expected) > 1e-12 * Math.abs(expected)) {
                wrong++;
            }
        }
        assertEquals(0, wrong, "tokens inside the clip range whose gradient is not (V − R) / n");
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 0.5 * (v[i] - ret[i]) * (v[i] - ret[i]);
        }
        assertEquals(sum / n, r.loss().item(), 1e-12);
    }

    @Test
    void outsideTheRangeTheLargerLossWins() {
        // |V − old| = 0.5 > c: the clipped prediction old ± c is used when its loss is larger
        Tensor m = Tensor.of(new double[] {1, 1}, 1, 2);
        Tensor v = Tensor.variable(org.nd4j.linalg.factory.Nd4j.create(new double[] {0.5, 0.5}, new long[] {1, 2}, DataType.DOUBLE));
        ValueLoss.Result r = ValueLoss.clipped(v, Tensor.zeros(DataType.DOUBLE, 1, 2), Tensor.of(new double[] {1, 0}, 1, 2), m, 0.2);
        // token 0: R = 1, unclipped (0.5−1)² = 0.25 < clipped (0.2−1)² = 0.64 → clipped, gradient 0
        // token 1: R = 0, unclipped 0.25 > clipped 0.04 → unclipped, gradient V − R = 0.5
        assertEquals((0.64 + 0.25) / 4, r.loss().item(), 1e-15);
        assertEquals(0.5, r.clipFraction(), 0);
        r.loss().backward();
        assertEquals(0, v.grad().getDouble(0, 0), 0);
        assertEquals(0.5 / 2, v.grad().getDouble(0, 1), 1e-15);
    }

    @Test
    void badClipIsRejected() {
        Tensor a = Tensor.zeros(DataType.DOUBLE, 1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ValueLoss.clipped(a, a, a, Tensor.of(new double[] {1}, 1, 1), -1));
        assertTrue(e.getMessage().contains("clipRange") && e.getMessage().contains("-1"), e.getMessage());
    }
}
