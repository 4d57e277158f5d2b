package dev.tessera.rlhf.model;

import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Finds parameters that two modules share: the same {@link Parameter} object, or different
 * Parameters over the same memory. Why not compare the models: a second model object (another
 * wrapper over the same module, or new Parameters over the same arrays) is a different object
 * yet trains together with the first, so a "frozen" reference built that way follows the policy
 * and its KL to the policy stays 0.
 */
public final class SharedParameters {
    private SharedParameters() {}

    /** "nameInA = nameInB" for every pair of parameters of {@code a} and {@code b} that share storage. */
    public static List<String> between(Module a, Module b) {
        return between(a.namedParameters(), b.namedParameters());
    }

    /** "nameInA = nameInB" for every pair of parameters of {@code a} and {@code b} that share storage. */
    public static List<String> between(Map<String, Parameter> a, Map<String, Parameter> b) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Parameter> x : a.entrySet()) {
            for (Map.Entry<String, Parameter> y : b.entrySet()) {
                if (x.getValue() == y.getValue() || sameStorage(x.getValue().data(), y.getValue().data())) {
                    out.add(x.getKey() + " = " + y.getKey());
                }
            }
        }
        return out;
    }

    /**
     * Requires {@code frozen} to share no parameter with {@code trained}.
     *
     * @param fn names the caller in the message, e.g. "PpoTrainer"
     */
    public static void requireNone(String fn, String frozenRole, Module frozen, String trainedRole, Module trained) {
        requireNone(fn, frozenRole, frozen, trainedRole, trained.namedParameters());
    }

    /**
     * Requires {@code frozen} to share no parameter with the {@code trained} ones (those an
     * optimiser updates). A reference that is the policy's own base model with its LoRA adapters
     * switched off passes: it shares the frozen base weights, none of the trained adapters.
     */
    public static void requireNone(String fn, String frozenRole, Module frozen, String trainedRole,
            Map<String, Parameter> trained) {
        List<String> shared = between(frozen.namedParameters(), trained);
        if (!shared.isEmpty()) {
            throw new IllegalArgumentException(fn + ": the " + frozenRole + " must be a frozen copy with its own parameters,"
                    + " but shares " + shared.size() + " with the " + trainedRole + " (" + frozenRole + " = " + trainedRole
                    + "): " + (shared.size() > 5 ? shared.subList(0, 5) + " …" : shared));
        }
    }

    /** Whether two arrays are, or view, the same memory. */
    static boolean sameStorage(INDArray x, INDArray y) {
        if (x == y) {
            return true;
        }
        DataBuffer a = x.data();
        DataBuffer b = y.data();
        if (a == b || a.sameUnderlyingData(b)) {
            return true;
        }
        long aStart = a.address();
        long bStart = b.address();
        if (aStart == 0 || bStart == 0) {
            return false;
        }
        long aEnd = aStart + a.length() * a.getElementSize();
        long bEnd = bStart + b.length() * b.getElementSize();
        return aStart < bEnd && bStart < aEnd;
    }
}
