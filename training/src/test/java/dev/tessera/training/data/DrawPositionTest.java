package dev.tessera.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import org.junit.jupiter.api.Test;

class DrawPositionTest {
    @Test
    void restoresTheGeneratorAndTheCount() {
        Rng a = new Rng(11);
        a.nextGaussian(); // leaves a spare Gaussian in the state, which must travel too
        long[] p = DrawPosition.of(a, 42);
        assertEquals(DrawPosition.LENGTH, p.length);
        Rng b = new Rng(5);
        assertEquals(42, DrawPosition.restore(p, b, "test"));
        for (int i = 0; i < 5; i++) {
            assertEquals(a.nextGaussian(), b.nextGaussian());
            assertEquals(a.nextLong(), b.nextLong());
        }
    }

    @Test
    void aWrongLengthNamesTheOwner() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DrawPosition.restore(new long[] {1, 2, 3}, new Rng(1), "WindowSampler"));
        assertTrue(e.getMessage().contains("WindowSampler") && e.getMessage().contains("7 longs"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DrawPosition.restore(null, new Rng(1), "x"));
    }
}
