package dev.tessera.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link Gemm#sumRows} (a linear layer's bias gradient) on the direct MKL path and the portable
 * path against a float64 loop, on contiguous arrays, views and odd sizes.
 */
class GemmSumRowsTest {

    @BeforeAll
    static void setUp() {
        Backend.init();
    }

    @AfterEach
    void restore() {
        Gemm.setForcePortable(false);
    }

    private static INDArray random(DataType t, long rows, long cols, long seed) {
        Random r = new Random(seed);
        double[] v = new double[Math.toIntExact(rows * cols)];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        return Nd4j.createFromArray(v).reshape('c', rows, cols).castTo(t);
    }

    /** Column sums in float64 from x's own (rounded) values. */
    private static double[] reference(INDArray x) {
        double[] out = new double[(int) x.size(1)];
        for (int i = 0; i < x.size(0); i++) {
            for (int j = 0; j < out.length; j++) {
                out[j] += x.getDouble(i, j);
            }
        }
        return out;
    }

    private static void check(INDArray x, double tol, String what) {
        double[] expected = reference(x);
        for (boolean portable : new boolean[] {false, true}) {
            Gemm.setForcePortable(portable);
            INDArray y = Gemm.sumRows(x);
            assertArrayEquals(new long[] {x.size(1)}, y.shape(), what);
            assertEquals(x.dataType(), y.dataType(), what);
            for (int j = 0; j < expected.length; j++) {
                double e = expected[j];
                assertEquals(e, y.getDouble(j), tol * (1 + Math.abs(e)),
                        what + " portable=" + portable + " column " + j);
            }
        }
        Gemm.setForcePortable(false);
    }

    @Test
    void directPathIsTakenWhereMklShips() {
        assertTrue(Gemm.usesDirectMkl() || !Backend.hasDirectMkl());
    }

    @Test
    void contiguousOddSizesFloatAndDouble() {
        long[][] sizes = {{1, 1}, {1, 7}, {7, 1}, {13, 17}, {2048, 33}, {129, 1000}};
        for (long[] s : sizes) {
            check(random(DataType.FLOAT, s[0], s[1], s[0] * 31 + s[1]), 1e-5, "float " + s[0] + "x" + s[1]);
            check(random(DataType.DOUBLE, s[0], s[1], s[0] * 37 + s[1]), 1e-12, "double " + s[0] + "x" + s[1]);
        }
    }

    @Test
    void viewsWithALeadingDimensionAndTransposedViews() {
        INDArray wide = random(DataType.FLOAT, 40, 30, 3);
        INDArray columns = wide.get(NDArrayIndex.all(), NDArrayIndex.interval(5, 22)); // (40, 17), ld 30
        check(columns, 1e-5, "column block");
        INDArray rows = wide.get(NDArrayIndex.interval(3, 38), NDArrayIndex.all()); // (35, 30)
        check(rows, 1e-5, "row block");
        INDArray transposed = random(DataType.DOUBLE, 19, 23, 4).transpose(); // (23, 19), column-major
        check(transposed, 1e-12, "transposed view");
        INDArray fOrder = random(DataType.FLOAT, 11, 9, 5).dup('f');
        check(fOrder, 1e-5, "f order");
    }

    @Test
    void repeatedCallsGrowTheOnesVector() {
        // The ones vector is cached per thread and grown; a longer call after a shorter one must
        // still sum every row.
        check(random(DataType.FLOAT, 5, 3, 6), 1e-5, "short");
        check(random(DataType.FLOAT, 5000, 3, 7), 1e-5, "long");
        check(random(DataType.DOUBLE, 3000, 2, 8), 1e-12, "long double");
    }

    @Test
    void rejectsBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sumRows(Nd4j.create(DataType.FLOAT, 2, 3, 4)));
        assertTrue(e.getMessage().contains("2-D") && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.sumRows(Nd4j.create(DataType.INT, 2, 3)));
        assertTrue(e.getMessage().contains("INT"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.sumRows(null));
        assertTrue(e.getMessage().contains("x is null"), e.getMessage());
    }
}
