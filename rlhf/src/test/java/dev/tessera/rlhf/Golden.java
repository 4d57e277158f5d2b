package dev.tessera.rlhf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.core.Tensor;
import dev.tessera.testing.GoldenFile;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The PyTorch goldens of rlhf/src/test/python/gen_rlhf_golden.py and comparison helpers. */
public final class Golden {
    private static GoldenFile file;

    private Golden() {}

    public static synchronized GoldenFile math() {
        if (file == null) {
            file = GoldenFile.load("/golden/rlhf_math.json");
        }
        return file;
    }

    public static INDArray get(String name) {
        return math().get(name);
    }

    public static Tensor constant(String name) {
        return Tensor.constant(get(name));
    }

    public static Tensor variable(String name) {
        return Tensor.variable(get(name));
    }

    /** Integer ids stored as doubles in the golden file. */
    public static INDArray ids(String name) {
        return get(name).castTo(DataType.INT);
    }

    public static void assertClose(INDArray expected, INDArray actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape(), "shape");
        double[] e = expected.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        double[] a = actual.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tol * Math.max(1, Math.abs(e[i])), "element " + i);
        }
    }

    public static void assertClose(String goldenName, INDArray actual, double tol) {
        assertClose(get(goldenName), actual, tol);
    }
}
