package dev.tessera.rlhf.dpo;

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

class DpoLossTest {

    @Test
    void matchesPyTorchWithAndWithoutLabelSmoothing() {
        for (double ls : new double[] {0.0, 0.1}) {
            Tensor pc = Golden.variable("dpo.pc");
            Tensor pr = Golden.variable("dpo.pr");
            DpoLoss.Result r = DpoLoss.sigmoid(pc, pr, Golden.constant("dpo.rc"), Golden.constant("dpo.rr"), 0.1, ls);
            assertEquals(Golden.get("dpo.ls" + ls + ".loss").getDouble(0), r.loss().item(), 1e-14, "ls " + ls);
            r.loss().backward();
            assertClose("dpo.ls" + ls + ".grad_chosen", pc.grad(), 1e-13);
            assertClose("dpo.ls" + ls + ".grad_rejected", pr.grad(), 1e-13);
        }
    }

    @Test
    void policyEqualToReferenceGivesLn2() {
        Tensor a = Tensor.of(new double[] {-5, -7}, 2);
        Tensor b = Tensor.of(new double[] {-6, -3}, 2);
        DpoLoss.Result r = DpoLoss.sigmoid(a, b, a, b, 0.1, 0);
        assertEquals(Math.log(2), r.loss().item(), 1e-15);
        assertEquals(0, r.chosenReward(), 0);
        assertEquals(0, r.margin(), 0);
    }

    @Test
    void diagnostics() {
        Tensor pc = Tensor.of(new double[] {-4, -6}, 2), pr = Tensor.of(new double[] {-8, -5}, 2);
        Tensor rc = Tensor.of(new double[] {-5, -5}, 2), rr = Tensor.of(new double[] {-6, -6}, 2);
        DpoLoss.Result r = DpoLoss.sigmoid(pc, pr, rc, rr, 0.5, 0);
        assertEquals(0.5 * (1 + -1) / 2, r.chosenReward(), 1e-15);
        assertEquals(0.5 * (-2 + 1) / 2, r.rejectedReward(), 1e-15);
        assertEquals(0.5, r.accuracy(), 0); // pair 0: 1 > -2, pair 1: -1 < 1
    }

    @Test
    void gradients() {
        Rng rng = new Rng(31);
        Tensor rc = Tensor.constant(rng.normal(DataType.DOUBLE, -10, 3, 3));
        Tensor rr = Tensor.constant(rng.normal(DataType.DOUBLE, -10, 3, 3));
        for (double ls : new double[] {0, 0.2}) {
            GradCheck.check("dpo" + ls, GradCheck.LOSS_TOLERANCE, in -> DpoLoss.sigmoid(in[0], in[1], rc, rr, 0.3, ls).loss(),
                    Tensor.variable(rng.normal(DataType.DOUBLE, -10, 3, 3)), Tensor.variable(rng.normal(DataType.DOUBLE, -10, 3, 3)));
        }
    }

    @Test
    void badInputIsRejected() {
        Tensor a = Tensor.of(new double[] {1, 2}, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DpoLoss.sigmoid(a, a, a, a, 0, 0));
        assertTrue(e.getMessage().contains("beta"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DpoLoss.sigmoid(a, a, a, a, 0.1, 0.5));
        assertTrue(e.getMessage().contains("labelSmoothing"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DpoLoss.sigmoid(a, Tensor.of(new double[] {1}, 1), a, a, 0.1, 0));
        assertTrue(e.getMessage().contains("[2]") && e.getMessage().contains("[1]"), e.getMessage());
    }
}
