package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Element-wise comparison with a mixed tolerance, naming the first element that differs. */
public final class Close {
    private Close() {}

    /** The elements of {@code a} in C order as floats (a copy, so views and strides are fine). */
    public static float[] floats(INDArray a) {
        return a.dup().data().asFloat();
    }

    /** |e − a| ≤ tol · (1 + |e|) for every element, and equal lengths. */
    public static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (!(Math.abs(e - a) <= tol * (1 + Math.abs(e)))) {
                fail(what + ": element " + i + " expected " + e + " but was " + a + " (tolerance " + tol + ")");
            }
        }
    }
}
