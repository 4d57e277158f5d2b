package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RngTest {
    @Test
    void sameSeedSameStreamAndStateRestores() {
        Rng a = new Rng(42);
        Rng b = new Rng(42);
        for (int i = 0; i < 100; i++) {
            assertEquals(a.nextLong(), b.nextLong());
        }
        a.nextGaussian(); // leaves a spare gaussian in the state
        long[] snapshot = a.state();
        double[] expected = {a.nextGaussian(), a.nextDouble(), a.nextInt(17)};
        Rng c = new Rng(0);
        c.setState(snapshot);
        assertEquals(expected[0], c.nextGaussian());
        assertEquals(expected[1], c.nextDouble());
        assertEquals(expected[2], c.nextInt(17));
        assertNotEquals(new Rng(1).nextLong(), new Rng(2).nextLong());
    }

    @Test
    void distributionsHaveTheRightMoments() {
        Rng r = new Rng(7);
        int n = 200_000;
        double sum = 0;
        double sq = 0;
        int[] counts = new int[5];
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            sum += g;
            sq += g * g;
            counts[r.nextInt(5)]++;
        }
        assertEquals(0, sum / n, 0.01);
        assertEquals(1, sq / n, 0.02);
        for (int c : counts) {
            assertEquals(n / 5.0, c, n * 0.01);
        }
    }

    @Test
    void rejectsBadArguments() {
        Rng r = new Rng(1);
        assertThrows(IllegalArgumentException.class, () -> r.nextInt(0));
        assertThrows(IllegalArgumentException.class, () -> r.setState(new long[3]));
        assertThrows(IllegalArgumentException.class, () -> r.setState(new long[6]));
    }
}
