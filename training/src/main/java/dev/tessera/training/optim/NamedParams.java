package dev.tessera.training.optim;

import dev.tessera.nn.Parameter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Shared argument checks and state-dict helpers of the optimizers. */
final class NamedParams {
    private NamedParams() {}

    static Map<String, Parameter> copyOf(Map<String, Parameter> params) {
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException("params must be a non-empty map of named parameters");
        }
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException("parameter '" + e.getKey() + "' is null");
            }
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    /** The state entry {@code key}, checked against the expected shape. */
    static INDArray required(Map<String, INDArray> state, String key, long[] shape) {
        INDArray a = state.get(key);
        if (a == null) {
            throw new IllegalArgumentException("optimizer state lacks '" + key + "'");
        }
        if (!Arrays.equals(a.shape(), shape)) {
            throw new IllegalArgumentException("optimizer state '" + key + "' must have shape " + Arrays.toString(shape)
                    + " but has " + Arrays.toString(a.shape()));
        }
        return a;
    }

    static void checkNoExtra(Map<String, INDArray> state, int expected) {
        if (state.size() != expected) {
            throw new IllegalArgumentException("optimizer state must have " + expected + " entries but has "
                    + state.size() + ": " + state.keySet());
        }
    }
}
