package dev.tessera.rlhf.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KlControllerTest {

    @Test
    void fixedNeverMoves() {
        KlController c = new FixedKlController(0.02);
        c.update(100, 1000);
        c.update(0, 1000);
        assertEquals(0.02, c.beta(), 0);
    }

    @Test
    void adaptiveFollowsZieglerFormula() {
        AdaptiveKlController c = new AdaptiveKlController(0.1, 6, 10000);
        c.update(12, 256); // error clipped to +0.2
        assertEquals(0.1 * (1 + 0.2 * 256 / 10000.0), c.beta(), 1e-15);
        double b = c.beta();
        c.update(6.6, 100); // error 0.1
        assertEquals(b * (1 + 0.1 * 100 / 10000.0), c.beta(), 1e-15);
        b = c.beta();
        c.update(6, 100); // on target
        assertEquals(b, c.beta(), 0);
        c.update(0, 100); // error clipped to −0.2
        assertEquals(b * (1 - 0.2 * 100 / 10000.0), c.beta(), 1e-15);
    }

    @Test
    void adaptiveSteersTowardsTarget() {
        AdaptiveKlController high = new AdaptiveKlController(0.1, 2, 50);
        AdaptiveKlController low = new AdaptiveKlController(0.1, 2, 50);
        for (int i = 0; i < 10; i++) {
            high.update(4, 8);
            low.update(0.5, 8);
        }
        // KL twice the target: error clipped to +0.2 each step; a quarter of it: −0.2
        assertEquals(0.1 * Math.pow(1 + 0.2 * 8 / 50.0, 10), high.beta(), 1e-15);
        assertEquals(0.1 * Math.pow(1 - 0.2 * 8 / 50.0, 10), low.beta(), 1e-15);
        assertTrue(high.beta() > 0.13 && low.beta() < 0.075 && low.beta() > 0);
    }

    @Test
    void floorStopsTheDecreaseButNotTheIncrease() {
        AdaptiveKlController c = new AdaptiveKlController(1.0, 1.5, 100, 1.0);
        c.update(0.0, 64); // KL 0 (the start of a run): e = -0.2, unfloored β would be 1 - 0.128
        assertEquals(1.0, c.beta(), 0.0);
        c.update(3.0, 64); // KL twice the target: e = 0.2, β = 1.128
        assertEquals(1.128, c.beta(), 1e-12);
        c.update(0.0, 64); // down again, by 12.8%: 0.983616, but not below the floor
        assertEquals(1.0, c.beta(), 0.0);
        AdaptiveKlController half = new AdaptiveKlController(1.0, 1.5, 100, 0.9);
        half.update(0.0, 64);
        assertEquals(0.9, half.beta(), 0.0);
        AdaptiveKlController none = new AdaptiveKlController(1.0, 1.5, 100);
        none.update(0.0, 64);
        assertEquals(0.872, none.beta(), 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AdaptiveKlController(0.5, 1, 10, 0.6));
        assertTrue(e.getMessage().contains("minBeta"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveKlController(0.5, 1, 10, -0.1));
    }

    @Test
    void betaStaysPositiveWhenOneUpdateCoversMoreThanTheHorizon() {
        // n / horizon = 5 and KL < 0.8·target: Ziegler's 1 + e·n/horizon is 1 − 0.2·5 = 0, and β could
        // never grow back from 0; the step is capped at one horizon, so one update moves β by at most 20%
        AdaptiveKlController c = new AdaptiveKlController(0.1, 1.0, 10);
        c.update(0.0, 50);
        assertEquals(0.1 * 0.8, c.beta(), 1e-15);
        c.update(0.0, 1000);
        assertEquals(0.1 * 0.8 * 0.8, c.beta(), 1e-15);
        c.update(2.0, 1000); // KL above target: β grows again
        assertEquals(0.1 * 0.8 * 0.8 * 1.2, c.beta(), 1e-15);
        // and never reaches 0, however long the KL stays below target
        AdaptiveKlController d = new AdaptiveKlController(1e-300, 1.0, 1);
        for (int i = 0; i < 10_000; i++) {
            d.update(0.0, 1);
        }
        assertTrue(d.beta() > 0, "beta " + d.beta());
        d.update(2.0, 1);
        assertTrue(d.beta() > Double.MIN_NORMAL, "beta grows from its floor: " + d.beta());
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveKlController(0.1, 1, 1).update(Double.POSITIVE_INFINITY, 1));
    }

    @Test
    void badConfigIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new FixedKlController(-1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AdaptiveKlController(0.1, 0, 10));
        assertTrue(e.getMessage().contains("target"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AdaptiveKlController(0.1, 1, 0));
        assertTrue(e.getMessage().contains("horizon"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AdaptiveKlController(0.1, 1, 1).update(Double.NaN, 1));
    }
}
