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
    void badClipIsRejected() {
        Tensor a = Tensor.zeros(DataType.DOUBLE, 1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ValueLoss.clipped(a, a, a, Tensor.of(new double[] {1}, 1, 1), -1));
        assertTrue(e.getMessage().contains("clipRange") && e.getMessage().contains("-1"), e.getMessage());
    }
}
