package dev.tessera.rlhf.ppo;

import static dev.tessera.rlhf.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.rlhf.Golden;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TokenRewardsTest {

    @Test
    void matchesPyTorchWithShaping() {
        INDArray kl = Golden.get("ppo.logp").sub(Golden.get("kl.ref"));
        INDArray r = TokenRewards.compute(Golden.get("scores"), kl, Golden.get("mask"), 0.05, new RewardShaping(0.5, 2, 3));
        assertClose("token_rewards", r, 1e-14);
    }

    @Test
    void handComputed() {
        INDArray r = TokenRewards.compute(Nd4j.createFromArray(2.0), Nd4j.createFromArray(new double[][] {{0.5, 1.0, 9}}),
                Nd4j.createFromArray(new double[][] {{1, 1, 0}}), 0.1, RewardShaping.none());
        assertArrayEquals(new double[] {-0.05, 1.9, 0}, r.toDoubleVector(), 1e-15);
    }

    @Test
    void shapingScalesThenClips() {
        RewardShaping s = new RewardShaping(1, 2, 3);
        assertEquals(2, s.apply(2), 0);
        assertEquals(3, s.apply(10), 0);
        assertEquals(-3, s.apply(-10), 0);
        assertEquals(5, RewardShaping.none().apply(5), 0);
        assertThrows(IllegalArgumentException.class, () -> new RewardShaping(0, 0, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RewardShaping(0, 1, -1));
        assertTrue(e.getMessage().contains("clip"), e.getMessage());
    }

    @Test
    void nonFiniteScoresAreRejectedEvenWhenTheyWouldBeClipped() {
        RewardShaping clip = new RewardShaping(0, 1, 5);
        for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> clip.apply(bad));
            assertTrue(e.getMessage().contains("score") && e.getMessage().contains(String.valueOf(bad)), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> TokenRewards.compute(Nd4j.createFromArray(1.0, bad),
                    Nd4j.zeros(2, 2), Nd4j.ones(2, 2), 0.1, clip));
            assertTrue(e.getMessage().contains("scores[1]") && e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
        // a finite score whose scaled value overflows is not finite either
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RewardShaping(0, 1e300, 5).apply(1e300));
        assertTrue(e.getMessage().contains("1.0E300"), e.getMessage());
    }

    @Test
    void rowWithoutValidTokenIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenRewards.compute(
                Nd4j.createFromArray(1.0, 2.0), Nd4j.zeros(2, 2), Nd4j.createFromArray(new double[][] {{1, 0}, {0, 0}}), 0.1,
                RewardShaping.none()));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TokenRewards.compute(
                Nd4j.createFromArray(1.0), Nd4j.zeros(2, 2), Nd4j.ones(2, 2), 0.1, RewardShaping.none()));
        assertTrue(e.getMessage().contains("scores"), e.getMessage());
    }
}
