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

class PolicyLossTest {

    @Test
    void matchesPyTorch() {
        Tensor logp = Golden.variable("ppo.logp");
        PolicyLoss.Result r = PolicyLoss.clipped(logp, Golden.constant("ppo.old"), Golden.constant("ppo.adv"),
                Golden.constant("mask"), 0.2);
        assertEquals(Golden.get("ppo.loss").getDouble(0), r.loss().item(), 1e-13);
        assertEquals(Golden.get("ppo.clipfrac").getDouble(0), r.clipFraction(), 1e-15);
        assertEquals(Golden.get("ppo.approxkl").getDouble(0), r.approxKl(), 1e-14);
        assertTrue(r.clipFraction() > 0 && r.clipFraction() < 1, "the fixture exercises both branches");
        r.loss().backward();
        assertClose("ppo.grad", logp.grad(), 1e-12);
    }

    @Test
    void handComputedClip() {
        Tensor logp = Tensor.variable(org.nd4j.linalg.factory.Nd4j.create(
                new double[] {Math.log(1.5), Math.log(1.1)}, new long[] {1, 2}, DataType.DOUBLE));
        Tensor old = Tensor.zeros(DataType.DOUBLE, 1, 2);
        Tensor adv = Tensor.of(new double[] {1, 1}, 1, 2);
        Tensor mask = Tensor.of(new double[] {1, 1}, 1, 2);
        PolicyLoss.Result r = PolicyLoss.clipped(logp, old, adv, mask, 0.2);
        assertEquals((-1.2 - 1.1) / 2, r.loss().item(), 1e-14);
        assertEquals(0.5, r.clipFraction(), 0);
        r.loss().backward();
        assertEquals(0, logp.grad().getDouble(0, 0), 0); // clipped: no gradient
        assertEquals(-1.1 / 2, logp.grad().getDouble(0, 1), 1e-14);
    }

    @Test
    void ratioOneAtTheStartGivesMinusMeanAdvantage() {
        Tensor lp = Golden.variable("ppo.logp");
        PolicyLoss.Result r = PolicyLoss.clipped(lp, Golden.constant("ppo.logp"), Golden.constant("ppo.adv"),
                Golden.constant("mask"), 0.2);
        assertEquals(1.0, r.meanRatio(), 0);
        assertEquals(1.0, r.maxRatio(), 0);
        assertEquals(1.0, r.minRatio(), 0);
        assertEquals(0, r.clipFraction(), 0);
        assertEquals(0, r.approxKl(), 0);
        double meanAdv = dev.tessera.rlhf.math.Masked.mean(Golden.constant("ppo.adv"), Golden.constant("mask")).item();
        assertEquals(-meanAdv, r.loss().item(), 1e-15);
    }

    @Test
    void gradients() {
        Rng rng = new Rng(21);
        for (int batch : new int[] {1, 3}) {
            Tensor old = Tensor.constant(rng.normal(DataType.DOUBLE, -1, 1, batch, 6));
            Tensor adv = Tensor.constant(rng.normal(DataType.DOUBLE, 0, 1, batch, 6));
            Tensor mask = Tensor.constant(Golden.get("mask").get(
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(0, batch)).dup('c'));
            Tensor logp = Tensor.variable(old.data().add(rng.normal(DataType.DOUBLE, 0, 0.3, batch, 6)));
            GradCheck.check("ppoPolicy", GradCheck.LOSS_TOLERANCE,
                    in -> PolicyLoss.clipped(in[0], old, adv, mask, 0.2).loss(), logp);
        }
    }

    @Test
    void badInputIsRejected() {
        Tensor a = Tensor.zeros(DataType.DOUBLE, 2, 3);
        Tensor ones = Tensor.constant(org.nd4j.linalg.factory.Nd4j.ones(DataType.DOUBLE, 2, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PolicyLoss.clipped(a, a, a, ones, 0));
        assertTrue(e.getMessage().contains("clipEps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PolicyLoss.clipped(a, Tensor.zeros(DataType.DOUBLE, 3, 2), a, ones, 0.2));
        assertTrue(e.getMessage().contains("oldLogp"), e.getMessage());
    }
}
