package dev.tessera.rlhf.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.nn.Parameter;
import dev.tessera.training.loop.OnNonFinite;
import dev.tessera.training.loop.StepGuard;
import dev.tessera.training.optim.Optimizer;
import dev.tessera.training.optim.OptimizerSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.LoggerFactory;

class GuardedStepTest {
    private static final String WHERE = "test iteration 1, epoch 0, minibatch step 1";

    private static Parameter parameter(double... values) {
        return new Parameter(Nd4j.createFromArray(values).castTo(DataType.DOUBLE));
    }

    private static GuardedStep guard(Parameter p, double maxGradNorm, OnNonFinite onNonFinite) {
        Map<String, Parameter> trained = Map.of("w", p);
        Optimizer optimizer = OptimizerSettings.adamW(0.1).optimizer(trained);
        return new GuardedStep(trained, optimizer, maxGradNorm, onNonFinite, LoggerFactory.getLogger(GuardedStepTest.class));
    }

    @Test
    void finiteLossIsBackpropagatedAndClipped() {
        Parameter p = parameter(1, 2);
        // d/dw Σ 3·w = (3, 3), norm 3√2, clipped to 1 (the clip divides by norm + 1e-6)
        StepGuard.Verdict v = guard(p, 1.0, OnNonFinite.STOP).backward(p.mul(3.0).sum(), WHERE);
        assertTrue(v.ok());
        assertEquals(3 * Math.sqrt(2), v.gradNorm(), 1e-12);
        assertEquals(1 / Math.sqrt(2), p.grad().getDouble(0), 1e-6);
        assertEquals(1 / Math.sqrt(2), p.grad().getDouble(1), 1e-6);
    }

    @Test
    void infiniteNormMeasuresWithoutClipping() {
        Parameter p = parameter(1, 2);
        StepGuard.Verdict v = guard(p, Double.POSITIVE_INFINITY, OnNonFinite.STOP).backward(p.mul(3.0).sum(), WHERE);
        assertTrue(v.ok());
        assertEquals(3.0, p.grad().getDouble(0), 0);
    }

    @Test
    void nonFiniteLossStopsNamingTheStep() {
        Parameter p = parameter(1, Double.NaN);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> guard(p, 1.0, OnNonFinite.STOP).backward(p.sum(), WHERE));
        assertEquals(WHERE + ": non-finite loss (NaN); stopped before applying it", e.getMessage());
        assertNull(p.grad(), "no backward of a non-finite loss");
    }

    @Test
    void nonFiniteGradientIsSkippedAndZeroed() {
        Parameter p = parameter(0, 1);
        // loss = Σ sqrt(w): finite at w = 0 but its gradient there is +inf
        StepGuard.Verdict v = guard(p, 1.0, OnNonFinite.SKIP_STEP).backward(p.sqrt().sum(), WHERE);
        assertTrue(!v.ok());
        assertTrue(v.problem().startsWith("gradient of 'w'"), v.problem());
        assertNull(p.grad(), "a skipped step leaves no gradient");
    }

    @Test
    void skippedLossHasNoNorm() {
        Parameter p = parameter(Double.POSITIVE_INFINITY);
        StepGuard.Verdict v = guard(p, 1.0, OnNonFinite.SKIP_STEP).backward(p.sum(), WHERE);
        assertEquals("loss (Infinity)", v.problem());
        assertTrue(Double.isNaN(v.gradNorm()));
    }

    @Test
    void rejectsBadArguments() {
        Parameter p = parameter(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> guard(p, 0.0, OnNonFinite.STOP));
        assertTrue(e.getMessage().contains("maxGradNorm must be > 0 (or +inf) but was 0.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> guard(p, Double.NaN, OnNonFinite.STOP));
        assertThrows(IllegalArgumentException.class, () -> guard(p, 1.0, null));
    }
}
