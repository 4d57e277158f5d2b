package dev.tessera.rlhf.ppo;

import static dev.tessera.rlhf.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.rlhf.Golden;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class GaeTest {

    @Test
    void matchesReferenceLoopWithPaddingAnywhere() {
        Gae.Result r = Gae.compute(Golden.get("rewards"), Golden.get("values"), Golden.get("mask"), 0.9, 0.8);
        assertClose("gae.advantages", r.advantages(), 1e-13);
        assertClose("gae.returns", r.returns(), 1e-13);
    }

    @Test
    void handComputed() {
        INDArray rewards = Nd4j.createFromArray(new double[][] {{0, 1, 0}});
        INDArray values = Nd4j.createFromArray(new double[][] {{0.5, 0.25, 99}});
        INDArray mask = Nd4j.createFromArray(new double[][] {{1, 1, 0}});
        Gae.Result r = Gae.compute(rewards, values, mask, 1, 1);
        assertArrayEquals(new double[] {0.5, 0.75, 0}, r.advantages().toDoubleVector(), 1e-15);
        assertArrayEquals(new double[] {1.0, 1.0, 0}, r.returns().toDoubleVector(), 1e-15);
        // γ = 0: one-step advantages r − V
        Gae.Result myopic = Gae.compute(rewards, values, mask, 0, 0.95);
        assertArrayEquals(new double[] {-0.5, 0.75, 0}, myopic.advantages().toDoubleVector(), 1e-15);
        // λ = 0: TD(0) δ_t = r + γV' − V
        Gae.Result td = Gae.compute(rewards, values, mask, 0.5, 0);
        assertArrayEquals(new double[] {0 + 0.5 * 0.25 - 0.5, 0.75, 0}, td.advantages().toDoubleVector(), 1e-15);
    }

    @Test
    void floatInputsGiveFloatOutputs() {
        INDArray rewards = Golden.get("rewards").castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        Gae.Result r = Gae.compute(rewards, Golden.get("values").castTo(rewards.dataType()),
                Golden.get("mask").castTo(rewards.dataType()), 0.9, 0.8);
        assertTrue(r.advantages().dataType() == rewards.dataType());
        assertClose("gae.advantages", r.advantages(), 1e-5);
    }

    @Test
    void badInputIsRejected() {
        INDArray a = Nd4j.zeros(2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gae.compute(a, Nd4j.zeros(2, 4), a, 1, 1));
        assertTrue(e.getMessage().contains("values") && e.getMessage().contains("[2, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gae.compute(a, a, a, 1.5, 1));
        assertTrue(e.getMessage().contains("gamma") && e.getMessage().contains("1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gae.compute(a, a, a, 1, -0.1));
        assertTrue(e.getMessage().contains("lambda"), e.getMessage());
    }
}
