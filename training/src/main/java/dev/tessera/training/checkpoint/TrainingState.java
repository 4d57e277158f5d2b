package dev.tessera.training.checkpoint;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything besides weights and optimizer state that a resumed run needs.
 *
 * @param step optimizer steps completed
 * @param rngStates named {@code Rng.state()} snapshots (dropout, masking, ...)
 * @param dataPositions named {@code BatchSource.position()} snapshots
 * @param scalars named numbers (best validation loss, early-stopping counter, ...)
 */
public record TrainingState(long step, Map<String, long[]> rngStates, Map<String, long[]> dataPositions,
        Map<String, Double> scalars) {
    public TrainingState {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0 but was " + step);
        }
        rngStates = copy(rngStates);
        dataPositions = copy(dataPositions);
        scalars = scalars == null ? Map.of() : Map.copyOf(scalars);
    }

    private static Map<String, long[]> copy(Map<String, long[]> m) {
        Map<String, long[]> out = new LinkedHashMap<>();
        if (m != null) {
            m.forEach((k, v) -> out.put(k, v.clone()));
        }
        return java.util.Collections.unmodifiableMap(out);
    }
}
