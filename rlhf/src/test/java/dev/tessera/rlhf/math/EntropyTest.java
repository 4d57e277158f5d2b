package dev.tessera.rlhf.math;

import static dev.tessera.rlhf.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.Golden;
import dev.tessera.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class EntropyTest {

    @Test
    void matchesPyTorchValueAndGradient() {
        Tensor logits = Golden.variable("logits");
        Tensor h = Entropy.fromLogits(logits);
        assertClose("entropy", h.data(), 1e-12);
        h.backward(Golden.get("entropy.upstream"));
        assertClose("entropy.grad", logits.grad(), 1e-10);
    }

    @Test
    void uniformAndOneHot() {
        assertEquals(Math.log(2), Entropy.fromLogits(Tensor.of(new double[] {0, 0}, 1, 2)).data().getDouble(0), 1e-15);
        assertEquals(Math.log(4), Entropy.fromLogits(Tensor.of(new double[] {3, 3, 3, 3}, 4)).item(), 1e-15);
        Tensor peaked = Tensor.variable(org.nd4j.linalg.factory.Nd4j.create(
                new double[] {0, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}, new long[] {1, 3}, DataType.DOUBLE));
        Tensor h = Entropy.fromLogits(peaked);
        assertEquals(0, h.data().getDouble(0), 0);
        h.backward(org.nd4j.linalg.factory.Nd4j.ones(DataType.DOUBLE, 1));
        INDArray g = peaked.grad();
        assertFalse(g.isNaN().any(), "NaN gradient at -inf logits: " + g);
    }

    @Test
    void gradients() {
        Rng rng = new Rng(9);
        GradCheck.check("entropy", GradCheck.LOSS_TOLERANCE, in -> Entropy.fromLogits(in[0]), GradCheck.randomVariable(rng, 2, 3, 6));
        Tensor view = Tensor.variable(rng.normal(DataType.DOUBLE, 0, 2, 6, 4).transpose());
        GradCheck.check("entropyView", GradCheck.LOSS_TOLERANCE, in -> Entropy.fromLogits(in[0]), view);
    }
}
