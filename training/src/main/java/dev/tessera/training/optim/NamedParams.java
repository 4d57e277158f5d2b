package dev.tessera.training.optim;

import dev.tessera.nn.Parameter;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Shared argument checks and state-dict helpers of the optimizers. */
final class NamedParams {
    private NamedParams() {}

    static Map<String, Parameter> copyOf(Map<String, Parameter> params) {
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException("params must be a non-empty map of named parameters");
        }
        Map<String, Parameter> out = new LinkedHashMap<>();
        Map<Object, String> seen = new IdentityHashMap<>(); // Parameters and their arrays
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException("parameter '" + e.getKey() + "' is null");
            }
            // one tensor under two names would be updated twice per step, with two sets of moments
            String first = seen.putIfAbsent(e.getValue(), e.getKey());
            if (first == null) {
                first = seen.putIfAbsent(e.getValue().data(), e.getKey());
            }
            if (first != null) {
                throw new IllegalArgumentException("parameters '" + first + "' and '" + e.getKey()
                        + "' are the same tensor; each parameter must appear once");
            }
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    /** The scalar "step" of an optimizer state: an integer count >= 0. */
    static long stepOf(Map<String, INDArray> state) {
        INDArray s = required(state, "step", new long[0]);
        double d = s.getDouble(0);
        if (!(d >= 0) || d != Math.rint(d) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("optimizer state 'step' must be a whole number >= 0 but is " + d);
        }
        return s.getLong(0);
    }

    /** The scalar "lr" of an optimizer state: finite and >= 0. */
    static double lrOf(Map<String, INDArray> state) {
        double lr = required(state, "lr", new long[0]).getDouble(0);
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("optimizer state 'lr' must be finite and >= 0 but is " + lr);
        }
        return lr;
    }

    /**
     * The state entry {@code key} with the expected shape, every element finite (and >= 0 when
     * {@code nonNegative}): a NaN moment would turn every later update of that parameter into NaN.
     */
    static INDArray finite(Map<String, INDArray> state, String key, long[] shape, boolean nonNegative) {
        INDArray a = required(state, key, shape);
        if (!a.dataType().isFPType()) {
            throw new IllegalArgumentException("optimizer state '" + key + "' must be floating point but is "
                    + a.dataType());
        }
        double[] v = a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i]) || (nonNegative && v[i] < 0)) {
                throw new IllegalArgumentException("optimizer state '" + key + "' must hold finite"
                        + (nonNegative ? ", non-negative" : "") + " values but element " + i + " is " + v[i]);
            }
        }
        return a;
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
