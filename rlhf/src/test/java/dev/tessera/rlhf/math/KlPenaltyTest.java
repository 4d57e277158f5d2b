package dev.tessera.rlhf.math;

import static dev.tessera.rlhf.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.Golden;
import dev.tessera.testing.GradCheck;
import org.junit.jupiter.api.Test;

class KlPenaltyTest {

    @Test
    void matchesPyTorch() {
        Tensor logp = Golden.constant("ppo.logp");
        Tensor ref = Golden.constant("kl.ref");
        assertClose("kl.k1", KlPenalty.perToken(logp, ref, KlEstimator.K1).data(), 1e-14);
        assertClose("kl.k3", KlPenalty.perToken(logp, ref, KlEstimator.K3).data(), 1e-13);
    }

    @Test
    void handComputedAndK3NonNegative() {
        Tensor logp = Tensor.of(new double[] {-1, -3, -2}, 3);
        Tensor ref = Tensor.of(new double[] {-2, -1, -2}, 3);
        double[] k1 = KlPenalty.perToken(logp, ref, KlEstimator.K1).data().toDoubleVector();
        double[] k3 = KlPenalty.perToken(logp, ref, KlEstimator.K3).data().toDoubleVector();
        assertEquals(1, k1[0], 0);
        assertEquals(-2, k1[1], 0); // k1 can be negative per token
        assertEquals(Math.exp(-1), k3[0], 1e-15);
        assertEquals(Math.exp(2) - 3, k3[1], 1e-14);
        assertEquals(0, k3[2], 0); // identical models: zero
        for (double v : k3) {
            assertTrue(v >= 0);
        }
    }

    @Test
    void gradients() {
        Rng rng = new Rng(4);
        Tensor ref = Tensor.constant(rng.normal(org.nd4j.linalg.api.buffer.DataType.DOUBLE, -1, 1, 2, 3));
        for (KlEstimator est : KlEstimator.values()) {
            GradCheck.check("kl" + est, GradCheck.LOSS_TOLERANCE, in -> KlPenalty.perToken(in[0], ref, est),
                    GradCheck.randomVariable(rng, 2, 3));
        }
    }

    @Test
    void shapeMismatchIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KlPenalty.perToken(
                Tensor.of(new double[] {1, 2}, 2), Tensor.of(new double[] {1, 2}, 1, 2), KlEstimator.K1));
        assertTrue(e.getMessage().contains("refLogp"), e.getMessage());
    }
}
