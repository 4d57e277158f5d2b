package dev.tessera.rlhf.ppo;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.rlhf.RecordWithers;
import dev.tessera.rlhf.math.KlEstimator;
import org.junit.jupiter.api.Test;

class PpoConfigTest {
    @Test
    void eachWithSetsOnlyItsField() throws ReflectiveOperationException {
        PpoConfig base = PpoConfig.defaults(16, 8, 4);
        PpoConfig other = new PpoConfig(32, 4, 3, 0.1, 0.5, 0.99, 0.9, 0.5, 0.01, KlEstimator.K3, 0.5, 0.2, false, 6, 0.7,
                new RewardShaping(0.5, 2.0, 3.0));
        RecordWithers.assertEachWithSetsOnlyItsComponent(base, other);
    }

    @Test
    void withValidatesTheNewConfig() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PpoConfig.defaults(16, 8, 4).withMinibatchSize(5));
        assertTrue(e.getMessage().contains("minibatchSize must be >= 1 and divide rolloutBatch 16 but was 5"), e.getMessage());
    }
}
