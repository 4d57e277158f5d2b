package dev.tessera.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Array comparisons for the training tests. */
public final class TestArrays {
    private TestArrays() {}

    /** Max |a − b| ≤ tol, element by element, shapes equal. */
    public static void assertClose(String what, INDArray expected, INDArray actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = dev.tessera.training.Flat.doubles(expected);
        double[] a = dev.tessera.training.Flat.doubles(actual);
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(e[i] - a[i]) <= tol)) {
                fail(what + ": element " + i + " expected " + e[i] + " but was " + a[i] + " (tol " + tol + ")");
            }
        }
    }

    /** Bit-for-bit equality of two arrays' values. */
    public static void assertBitEqual(String what, INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = dev.tessera.training.Flat.doubles(expected);
        double[] a = dev.tessera.training.Flat.doubles(actual);
        for (int i = 0; i < e.length; i++) {
            if (Double.doubleToRawLongBits(e[i]) != Double.doubleToRawLongBits(a[i])) {
                fail(what + ": element " + i + " differs: " + e[i] + " vs " + a[i]);
            }
        }
    }
}
