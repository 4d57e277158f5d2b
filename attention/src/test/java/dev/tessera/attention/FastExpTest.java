package dev.tessera.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FastExpTest {
    @Test
    void relativeErrorIsWithinAFewUlpsOverTheSoftmaxRange() {
        double worst = 0;
        for (int i = 0; i <= 2_000_000; i++) {
            float x = -87f * i / 2_000_000;
            double exact = Math.exp(x);
            double rel = Math.abs(FastExp.exp(x) - exact) / exact;
            worst = Math.max(worst, rel);
        }
        assertTrue(worst < 5e-7, "max relative error " + worst);
        assertEquals(1f, FastExp.exp(0f), 0f);
        assertEquals(0.0, FastExp.exp(-1e4f), 1e-37);
        assertTrue(Float.isNaN(FastExp.exp(Float.NaN)));
    }
}
