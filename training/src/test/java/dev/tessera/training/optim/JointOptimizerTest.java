package dev.tessera.training.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class JointOptimizerTest {
    private static Parameter param(double... v) {
        return new Parameter(Nd4j.createFromArray(v));
    }

    private static Map<String, Optimizer> parts(Parameter a, Parameter b, double lrA, double lrB) {
        Map<String, Optimizer> parts = new LinkedHashMap<>();
        parts.put("policy", new AdamW(Map.of("w", a), AdamWConfig.lm(lrA)));
        parts.put("critic", new AdamW(Map.of("w", b), AdamWConfig.lm(lrB)));
        return parts;
    }

    @Test
    void stepsEachPartAtItsOwnRateAndCheckpointsThemAsOne() {
        Parameter a = param(1, 2);
        Parameter b = param(3, 4);
        JointOptimizer joint = new JointOptimizer(parts(a, b, 0.1, 0.0));
        a.accumulateGrad(Nd4j.createFromArray(0.5, -0.5));
        b.accumulateGrad(Nd4j.createFromArray(0.5, -0.5));
        joint.step();
        joint.zeroGrad();
        assertTrue(a.data().getDouble(0) < 1, "the policy part moves at 0.1");
        assertEquals(Nd4j.createFromArray(3.0, 4.0), b.data(), "the critic part's rate is 0");
        Map<String, INDArray> state = joint.stateDict();
        assertTrue(state.containsKey("policy/exp_avg.w") && state.containsKey("critic/exp_avg_sq.w"), state.keySet().toString());

        Parameter a2 = param(1, 2);
        Parameter b2 = param(3, 4);
        JointOptimizer other = new JointOptimizer(parts(a2, b2, 0.5, 0.5));
        other.loadStateDict(state);
        assertEquals(1, other.stepCount());
        assertEquals(state.get("policy/exp_avg.w"), other.stateDict().get("policy/exp_avg.w"));
        assertEquals(0.1, other.learningRate(), 0, "the first part's restored rate");
    }

    @Test
    void foreignStateAndBadPartsAreRejected() {
        JointOptimizer joint = new JointOptimizer(parts(param(1), param(2), 0.1, 0.1));
        Map<String, INDArray> state = new LinkedHashMap<>(joint.stateDict());
        state.put("value/exp_avg.w", Nd4j.createFromArray(0.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> joint.loadStateDict(state));
        assertTrue(e.getMessage().contains("value/exp_avg.w"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new JointOptimizer(Map.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new JointOptimizer(Map.of("a/b", new AdamW(Map.of("w", param(1)), AdamWConfig.lm(0.1)))));
    }
}
