package dev.tessera.core;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Argument checks shared by the ops; every message names the op, the argument, the expected and the actual value. */
public final class Checks {
    private Checks() {}

    /** Normalises a possibly negative axis against {@code rank}, or throws naming the argument. */
    public static int axis(String name, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(
                    name + " must be in [" + (-rank) + ", " + (rank - 1) + "] for a rank-" + rank + " tensor, but was " + axis);
        }
        return a;
    }

    /** Requires equal shapes and dtypes of two operands of {@code op}. */
    public static void sameShape(String op, String nameA, Tensor a, String nameB, Tensor b) {
        sameDtype(op, nameA, a, nameB, b);
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(op + ": " + nameA + " has shape " + Arrays.toString(a.shape()) + " but "
                    + nameB + " has shape " + Arrays.toString(b.shape())
                    + "; shapes must be equal (use the *Broadcast variant to broadcast explicitly)");
        }
    }

    /** Requires equal dtypes of two operands of {@code op}. */
    public static void sameDtype(String op, String nameA, Tensor a, String nameB, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(
                    op + ": " + nameA + " has dtype " + a.dtype() + " but " + nameB + " has dtype " + b.dtype());
        }
    }

    /** Requires {@code t} to have the given rank. */
    public static void rank(String op, String name, Tensor t, int expected) {
        if (t.rank() != expected) {
            throw new IllegalArgumentException(op + ": " + name + " must have rank " + expected + " but has shape "
                    + Arrays.toString(t.shape()));
        }
    }

    /** Requires a floating point tensor. */
    public static void floating(String op, String name, Tensor t) {
        if (!t.dtype().isFPType()) {
            throw new IllegalArgumentException(op + ": " + name + " must be floating point but has dtype " + t.dtype());
        }
    }

    /** Requires a shape equal to {@code expected}. */
    public static void shape(String op, String name, INDArray a, long... expected) {
        if (!Arrays.equals(a.shape(), expected)) {
            throw new IllegalArgumentException(op + ": " + name + " must have shape " + Arrays.toString(expected)
                    + " but has shape " + Arrays.toString(a.shape()));
        }
    }

    /** Numpy broadcasting of two shapes, or an exception naming both. */
    public static long[] broadcastShape(String op, String nameA, long[] a, String nameB, long[] b) {
        int rank = Math.max(a.length, b.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            long db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes of " + nameA + " " + Arrays.toString(a) + " and " + nameB
                        + " " + Arrays.toString(b) + " cannot be broadcast (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = Math.max(da, db);
        }
        return out;
    }
}
