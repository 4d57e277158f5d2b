package dev.tessera.training.checkpoint;

import dev.tessera.core.Require;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything besides weights and optimizer state that a resumed run needs. The maps are copied
 * and sorted by name, so equal states iterate, and serialise, in the same order.
 *
 * @param step optimizer steps completed
 * @param rngStates named {@code Rng.state()} snapshots (dropout, masking, ...)
 * @param dataPositions named {@code BatchSource.position()} snapshots
 * @param scalars named finite numbers (best validation loss, early-stopping counter, ...)
 */
public record TrainingState(long step, Map<String, long[]> rngStates, Map<String, long[]> dataPositions,
        Map<String, Double> scalars) {
    public TrainingState {
        Require.nonNegative("step", step);
        rngStates = copy("rngStates", rngStates);
        dataPositions = copy("dataPositions", dataPositions);
        Map<String, Double> sc = new TreeMap<>();
        if (scalars != null) {
            scalars.forEach((k, v) -> {
                if (k == null || v == null || !Double.isFinite(v)) {
                    // a checkpoint's JSON has no portable form for NaN or infinity
                    throw new IllegalArgumentException("scalars must map names to finite numbers but '" + k + "' is " + v);
                }
                sc.put(k, v);
            });
        }
        scalars = Collections.unmodifiableMap(sc);
    }

    private static Map<String, long[]> copy(String what, Map<String, long[]> m) {
        Map<String, long[]> out = new TreeMap<>();
        if (m != null) {
            m.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException(what + " must map names to arrays but '" + k + "' is " + v);
                }
                out.put(k, v.clone());
            });
        }
        return Collections.unmodifiableMap(out);
    }
}
