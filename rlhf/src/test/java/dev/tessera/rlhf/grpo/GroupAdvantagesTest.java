package dev.tessera.rlhf.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GroupAdvantagesTest {
    @Test
    void grpoNormalisesWithinEachGroup() {
        // group 0: [1, 2, 3, 6]: mean 3, unbiased std √((4 + 1 + 0 + 9) / 3) = √(14/3)
        // group 1: [0.5, 0.5, 0.5, 0.5]: std 0, every advantage 0
        double[] r = {1, 2, 3, 6, 0.5, 0.5, 0.5, 0.5};
        double eps = 1e-4;
        double s = Math.sqrt(14.0 / 3) + eps;
        assertArrayEquals(new double[] {-2 / s, -1 / s, 0, 3 / s, 0, 0, 0, 0}, GroupAdvantages.groupNormalised(r, 4, eps),
                1e-12);
    }

    @Test
    void grpoWithTwoSamples() {
        // k = 2, [1, 0]: mean 0.5, std √(((0.5)² + (0.5)²) / 1) = √0.5
        double s = Math.sqrt(0.5) + 1e-4;
        assertArrayEquals(new double[] {0.5 / s, -0.5 / s, 0, 0}, GroupAdvantages.groupNormalised(new double[] {1, 0, 7, 7},
                2, 1e-4), 1e-12);
    }

    @Test
    void rlooSubtractsTheMeanOfTheOthers() {
        // k = 3, [1, 2, 6]: baselines (2 + 6)/2 = 4, (1 + 6)/2 = 3.5, (1 + 2)/2 = 1.5
        assertArrayEquals(new double[] {-3, -1.5, 4.5}, GroupAdvantages.leaveOneOut(new double[] {1, 2, 6}, 3), 1e-12);
        // k = 2: each sample's baseline is the other one
        assertArrayEquals(new double[] {1, -1, 0, 0}, GroupAdvantages.leaveOneOut(new double[] {1, 0, 0.25, 0.25}, 2), 0);
        // = k/(k−1)·(r − mean) on any group
        double[] r = {0.3, -1.2, 2.5, 0.7};
        double[] a = GroupAdvantages.leaveOneOut(r, 4);
        double mean = (0.3 - 1.2 + 2.5 + 0.7) / 4;
        for (int i = 0; i < 4; i++) {
            assertTrue(Math.abs(a[i] - 4.0 / 3 * (r[i] - mean)) < 1e-12);
        }
    }

    @Test
    void badInputsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GroupAdvantages.leaveOneOut(new double[] {1, 2, 3}, 2));
        assertTrue(e.getMessage().contains("multiple of k = 2") && e.getMessage().contains("3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.groupNormalised(new double[] {1, 2}, 1, 1e-4));
        assertTrue(e.getMessage().contains("k must be >= 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> GroupAdvantages.groupNormalised(new double[] {1, Double.NaN}, 2, 1e-4));
        assertTrue(e.getMessage().contains("rewards[1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantages.groupNormalised(new double[] {1, 2}, 2, 0));
    }
}
