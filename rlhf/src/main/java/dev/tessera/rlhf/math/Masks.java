package dev.tessera.rlhf.math;

import dev.tessera.core.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Argument checks for masked functions: messages name the function, the argument, the expected and the actual value. */
public final class Masks {
    private Masks() {}

    /**
     * Requires {@code mask} to have {@code x}'s shape and dtype and to hold only 0 and 1; nothing
     * is broadcast, because a (B, 1) mask silently stretched over (B, T) is a classic RLHF bug.
     */
    public static void check(String fn, Tensor x, Tensor mask) {
        if (!Arrays.equals(x.shape(), mask.shape())) {
            throw new IllegalArgumentException(fn + ": mask must have x's shape " + Arrays.toString(x.shape())
                    + " but has shape " + Arrays.toString(mask.shape()));
        }
        if (x.dtype() != mask.dtype()) {
            throw new IllegalArgumentException(fn + ": mask must have x's dtype " + x.dtype() + " but has " + mask.dtype());
        }
        checkBinary(fn, "mask", mask.data());
    }

    /** Requires every element of {@code a} to be exactly 0 or 1. */
    public static void checkBinary(String fn, String name, INDArray a) {
        INDArray m = a.castTo(DataType.DOUBLE);
        double bad = m.mul(m.rsub(1.0)).amaxNumber().doubleValue(); // m(1 - m) is 0 exactly for m in {0, 1}
        if (bad != 0 || Double.isNaN(bad)) {
            throw new IllegalArgumentException(fn + ": " + name + " must hold only 0 and 1, but holds other values");
        }
    }

    /** Requires two tensors to have the same shape. */
    public static void sameShape(String fn, String nameA, Tensor a, String nameB, Tensor b) {
        sameShape(fn, nameA, a.data(), nameB, b.data());
    }

    /** Requires two arrays to have the same shape. */
    public static void sameShape(String fn, String nameA, INDArray a, String nameB, INDArray b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(fn + ": " + nameB + " must have " + nameA + "'s shape "
                    + Arrays.toString(a.shape()) + " but has shape " + Arrays.toString(b.shape()));
        }
    }

    /** Requires a rank-{@code rank} array. */
    public static void rank(String fn, String name, INDArray a, int rank) {
        if (a.rank() != rank) {
            throw new IllegalArgumentException(fn + ": " + name + " must have rank " + rank + " but has shape "
                    + Arrays.toString(a.shape()));
        }
    }

    /** Requires a finite, positive value. */
    public static double positive(String fn, String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(fn + ": " + name + " must be finite and > 0 but was " + v);
        }
        return v;
    }
}
