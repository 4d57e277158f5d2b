package dev.tessera.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link Gemm}'s direct MKL path and its portable path against a naive triple loop and against
 * ND4J's {@code mmul}, on contiguous arrays and on views, float and double, 2-D and batched.
 */
class GemmTest {

    @BeforeAll
    static void setUp() {
        Backend.init();
    }

    @AfterEach
    void restore() {
        Gemm.setForcePortable(false);
    }

    /** The layouts an operand can arrive in; each maps a logical (r, c) request to an array of that shape. */
    enum Layout {
        C_ORDER, F_ORDER, TRANSPOSED_VIEW, SLICED_VIEW, STRIDED_VIEW;
    }

    private static INDArray random(Random rnd, DataType t, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextDouble() * 2 - 1;
        }
        return Nd4j.create(v, shape, 'c').castTo(t);
    }

    /** A (r, c) array with the given layout and random contents. */
    private static INDArray matrix(Random rnd, DataType t, Layout layout, long r, long c) {
        switch (layout) {
            case C_ORDER:
                return random(rnd, t, r, c);
            case F_ORDER:
                return random(rnd, t, r, c).dup('f');
            case TRANSPOSED_VIEW:
                return random(rnd, t, c, r).transpose(); // strides (1, r)
            case SLICED_VIEW: {
                INDArray big = random(rnd, t, r + 3, c + 5);
                return big.get(NDArrayIndex.interval(2, 2 + r), NDArrayIndex.interval(1, 1 + c)); // offset, ld = c + 5
            }
            case STRIDED_VIEW: {
                INDArray big = random(rnd, t, r, 2 * c);
                return big.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 2 * c)); // column stride 2: not BLAS-able
            }
            default:
                throw new AssertionError(layout);
        }
    }

    /** op(a) op(b) in double, element by element through the logical indices (views included). */
    private static double[][] naive(INDArray a, INDArray b, boolean ta, boolean tb) {
        int m = (int) (ta ? a.size(1) : a.size(0));
        int k = (int) (ta ? a.size(0) : a.size(1));
        int n = (int) (tb ? b.size(0) : b.size(1));
        double[][] out = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta ? a.getDouble(p, i) : a.getDouble(i, p);
                    double y = tb ? b.getDouble(j, p) : b.getDouble(p, j);
                    s += x * y;
                }
                out[i][j] = s;
            }
        }
        return out;
    }

    private static void assertClose(double[][] expected, INDArray actual, double tol, String what) {
        assertEquals(expected.length, actual.size(0), what + ": rows");
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                double e = expected[i][j];
                double g = actual.getDouble(i, j);
                if (!(Math.abs(e - g) <= tol * (1 + Math.abs(e)))) {
                    throw new AssertionError(String.format(Locale.ROOT, "%s: [%d,%d] expected %.9g got %.9g", what, i, j, e, g));
                }
            }
        }
    }

    private static double tol(DataType t) {
        return t == DataType.FLOAT ? 2e-5 : 1e-12;
    }

    @Test
    void directPathIsActiveWhereMklShips() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch");
        if (os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"))
                && !"portable".equals(System.getProperty(Backend.GEMM_PROPERTY))) {
            // core depends on the MKL jars for linux-x86_64, so the direct path must be live here.
            assertTrue(Backend.hasDirectMkl(), Backend.summary());
            assertTrue(Gemm.usesDirectMkl());
        }
        Gemm.setForcePortable(true);
        assertFalse(Gemm.usesDirectMkl());
    }

    @Test
    void everyLayoutAndTransposeMatchesNaiveAndNd4j() {
        Random rnd = new Random(42);
        long m = 7, k = 5, n = 6;
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (Layout la : Layout.values()) {
                        for (Layout lb : Layout.values()) {
                            INDArray a = ta ? matrix(rnd, t, la, k, m) : matrix(rnd, t, la, m, k);
                            INDArray b = tb ? matrix(rnd, t, lb, n, k) : matrix(rnd, t, lb, k, n);
                            String what = t + " ta=" + ta + " tb=" + tb + " a:" + la + " b:" + lb;
                            double[][] expect = naive(a, b, ta, tb);
                            INDArray aBefore = a.dup();
                            INDArray bBefore = b.dup();

                            INDArray direct = Gemm.matmul(a, b, ta, tb);
                            assertEquals('c', direct.ordering(), what);
                            assertArrayEquals(new long[] {m, n}, direct.shape(), what);
                            assertEquals(t, direct.dataType(), what);
                            assertClose(expect, direct, tol(t), what + " direct");

                            Gemm.setForcePortable(true);
                            INDArray portable = Gemm.matmul(a, b, ta, tb);
                            Gemm.setForcePortable(false);
                            assertEquals('c', portable.ordering(), what);
                            assertClose(expect, portable, tol(t), what + " portable");

                            INDArray nd4j = (ta ? a.transpose() : a).mmul(tb ? b.transpose() : b);
                            assertClose(naive(nd4j, Nd4j.eye(n).castTo(t), false, false), direct, tol(t), what + " vs mmul");

                            assertEquals(aBefore, a, what + ": a unchanged");
                            assertEquals(bBefore, b, what + ": b unchanged");
                        }
                    }
                }
            }
        }
    }

    @Test
    void largerSquareProductsAgreeWithNd4jMmul() {
        Random rnd = new Random(7);
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray a = random(rnd, t, 96, 130);
            INDArray b = random(rnd, t, 130, 70);
            INDArray direct = Gemm.matmul(a, b, false, false);
            INDArray ref = a.mmul(b);
            double tol = t == DataType.FLOAT ? 1e-4 : 1e-12;
            assertTrue(direct.equalsWithEps(ref, tol), t + ": max diff " + direct.sub(ref).amaxNumber());
        }
    }

    @Test
    void degenerateShapes() {
        Random rnd = new Random(3);
        // (1,K) x (K,1): a dot product; strides of size-1 axes are arbitrary in ND4J.
        INDArray row = random(rnd, DataType.FLOAT, 4, 9).get(NDArrayIndex.interval(2, 3), NDArrayIndex.all());
        INDArray col = random(rnd, DataType.FLOAT, 9, 4).get(NDArrayIndex.all(), NDArrayIndex.interval(1, 2));
        assertClose(naive(row, col, false, false), Gemm.matmul(row, col, false, false), 1e-5, "dot");
        assertClose(naive(col, row, false, false), Gemm.matmul(col, row, false, false), 1e-5, "outer");
        assertClose(naive(row, row, false, true), Gemm.matmul(row, row, false, true), 1e-5, "row.row^T");

        // K = 0: the product is zeros; M = 0 or N = 0: empty.
        INDArray z = Gemm.matmul(Nd4j.create(DataType.DOUBLE, 3, 0), Nd4j.create(DataType.DOUBLE, 0, 2), false, false);
        assertArrayEquals(new long[] {3, 2}, z.shape());
        assertEquals(0.0, z.sumNumber().doubleValue());
        assertEquals(0.0, z.amaxNumber().doubleValue());
        INDArray e = Gemm.matmul(Nd4j.create(DataType.FLOAT, 0, 4), random(rnd, DataType.FLOAT, 4, 5), false, false);
        assertArrayEquals(new long[] {0, 5}, e.shape());
        INDArray eb = Gemm.batchedMatmul(Nd4j.create(DataType.FLOAT, 0, 2, 3), Nd4j.create(DataType.FLOAT, 0, 3, 4), false, false);
        assertArrayEquals(new long[] {0, 2, 4}, eb.shape());
    }

    /** op(a[i]) op(b[i]) for every batch, through the 2-D naive loop. */
    private static void assertBatched(INDArray a0, INDArray b0, boolean ta, boolean tb, INDArray c0, double tol, String what) {
        // Copies first: ND4J's point-indexing of an interval view of a 3-D view can lose axes.
        INDArray a = a0.dup('c');
        INDArray b = b0.dup('c');
        INDArray c = c0.dup('c');
        for (int i = 0; i < a.size(0); i++) {
            INDArray ai = a.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
            INDArray bi = b.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
            INDArray ci = c.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
            assertClose(naive(ai, bi, ta, tb), ci, tol, what + " batch " + i);
        }
    }

    @Test
    void batchedMatchesNaiveOnContiguousPermutedAndSlicedInputs() {
        Random rnd = new Random(11);
        long bt = 4, m = 6, k = 5, n = 3;
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    long ar = ta ? k : m, ac = ta ? m : k;
                    long br = tb ? n : k, bc = tb ? k : n;
                    INDArray[] as = {
                        random(rnd, t, bt, ar, ac),
                        // heads of a (T, H, D) array viewed as (H, T, D): batch stride D < one matrix
                        random(rnd, t, ar, bt, ac).permute(1, 0, 2),
                        // inner axes swapped: column-major matrices
                        random(rnd, t, bt, ac, ar).permute(0, 2, 1),
                        random(rnd, t, bt + 2, ar + 1, ac + 2).get(NDArrayIndex.interval(1, 1 + bt),
                                NDArrayIndex.interval(1, 1 + ar), NDArrayIndex.interval(0, ac)),
                        random(rnd, t, bt, ar, 2 * ac).get(NDArrayIndex.all(), NDArrayIndex.all(),
                                NDArrayIndex.interval(0, 2, 2 * ac)),
                    };
                    INDArray[] bs = {
                        random(rnd, t, bt, br, bc),
                        random(rnd, t, br, bt, bc).permute(1, 0, 2),
                        random(rnd, t, bt, bc, br).permute(0, 2, 1),
                        random(rnd, t, bt + 1, br + 2, bc + 1).get(NDArrayIndex.interval(0, bt),
                                NDArrayIndex.interval(2, 2 + br), NDArrayIndex.interval(1, 1 + bc)),
                        random(rnd, t, bt, br, bc).dup('f'),
                    };
                    for (int i = 0; i < as.length; i++) {
                        for (int j = 0; j < bs.length; j++) {
                            String what = t + " ta=" + ta + " tb=" + tb + " a#" + i + " b#" + j;
                            INDArray c = Gemm.batchedMatmul(as[i], bs[j], ta, tb);
                            assertArrayEquals(new long[] {bt, m, n}, c.shape(), what);
                            assertEquals('c', c.ordering(), what);
                            assertBatched(as[i], bs[j], ta, tb, c, tol(t), what + " direct");
                            Gemm.setForcePortable(true);
                            INDArray p = Gemm.batchedMatmul(as[i], bs[j], ta, tb);
                            Gemm.setForcePortable(false);
                            assertBatched(as[i], bs[j], ta, tb, p, tol(t), what + " portable");
                        }
                    }
                }
            }
        }
    }

    @Test
    void matmulIntoAccumulatesIntoViewsAndFOrder() {
        Random rnd = new Random(5);
        for (boolean portable : new boolean[] {false, true}) {
            for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                INDArray a = random(rnd, t, 4, 3);
                INDArray b = random(rnd, t, 3, 5);
                double[][] ab = naive(a, b, false, false);
                Function<INDArray, double[][]> expected = c0 -> {
                    double[][] e = new double[4][5];
                    for (int i = 0; i < 4; i++) {
                        for (int j = 0; j < 5; j++) {
                            e[i][j] = 0.5 * ab[i][j] + 2.0 * c0.getDouble(i, j);
                        }
                    }
                    return e;
                };
                INDArray big = random(rnd, t, 6, 8);
                INDArray[] targets = {
                    random(rnd, t, 4, 5),
                    random(rnd, t, 4, 5).dup('f'),
                    big.get(NDArrayIndex.interval(1, 5), NDArrayIndex.interval(2, 7)),
                    random(rnd, t, 4, 10).get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 10)),
                };
                for (int i = 0; i < targets.length; i++) {
                    Gemm.setForcePortable(portable);
                    INDArray c = targets[i];
                    double[][] e = expected.apply(c.dup());
                    INDArray bigBefore = big.dup();
                    assertSame(c, Gemm.matmulInto(a, b, false, false, c, 0.5, 2.0));
                    Gemm.setForcePortable(false);
                    assertClose(e, c, tol(t), t + " portable=" + portable + " target#" + i);
                    if (i == 2) {
                        // only the view's window of the parent changed
                        assertEquals(bigBefore.getDouble(0, 0), big.getDouble(0, 0));
                        assertEquals(bigBefore.getDouble(5, 7), big.getDouble(5, 7));
                        assertEquals(bigBefore.getDouble(1, 1), big.getDouble(1, 1));
                        assertEquals(bigBefore.getDouble(1, 7), big.getDouble(1, 7));
                    }
                }
            }
        }
    }

    @Test
    void betaZeroIgnoresNaNInTarget() {
        for (boolean portable : new boolean[] {false, true}) {
            Gemm.setForcePortable(portable);
            INDArray a = Nd4j.create(new float[] {1, 2, 3, 4}, new long[] {2, 2}, 'c');
            INDArray c = Nd4j.valueArrayOf(new long[] {2, 2}, Float.NaN, DataType.FLOAT);
            Gemm.matmulInto(a, a, false, false, c, 1.0, 0.0);
            assertArrayEquals(new float[] {7, 10, 15, 22}, c.data().asFloat(), 0f, "portable=" + portable);
        }
    }

    @Test
    void targetAliasingAnOperandIsSafe() {
        for (boolean portable : new boolean[] {false, true}) {
            Gemm.setForcePortable(portable);
            INDArray a = Nd4j.create(new double[] {1, 2, 3, 4}, new long[] {2, 2}, 'c');
            INDArray b = Nd4j.create(new double[] {5, 6, 7, 8}, new long[] {2, 2}, 'c');
            // a = 1 * a b + 1 * a = [[19+1, 22+2], [43+3, 50+4]]
            Gemm.matmulInto(a, b, false, false, a, 1.0, 1.0);
            assertArrayEquals(new double[] {20, 24, 46, 54}, a.data().asDouble(), 0.0, "portable=" + portable);
        }
    }

    @Test
    void batchedMatmulIntoAccumulates() {
        Random rnd = new Random(9);
        INDArray a = random(rnd, DataType.DOUBLE, 3, 4, 2);
        INDArray b = random(rnd, DataType.DOUBLE, 3, 4, 5);
        INDArray c = random(rnd, DataType.DOUBLE, 3, 2, 5);
        INDArray expect = c.dup();
        for (int i = 0; i < 3; i++) {
            INDArray ai = a.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
            INDArray bi = b.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all());
            expect.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all()).addi(ai.transpose().mmul(bi).muli(-1.5));
        }
        Gemm.matmulInto(a, b, true, false, c, -1.5, 1.0);
        assertTrue(expect.equalsWithEps(c, 1e-12), c.toString());
    }

    @Test
    void directAndPortableGiveTheSameFloatResultOnContiguousInput() {
        Random rnd = new Random(1);
        INDArray a = random(rnd, DataType.FLOAT, 64, 48);
        INDArray b = random(rnd, DataType.FLOAT, 48, 32);
        INDArray d = Gemm.matmul(a, b, false, false);
        Gemm.setForcePortable(true);
        INDArray p = Gemm.matmul(a, b, false, false);
        assertTrue(d.equalsWithEps(p, 1e-5), "max diff " + d.sub(p).amaxNumber());
    }

    @Test
    void rejectsBadArgumentsNamingBothShapes() {
        INDArray a = Nd4j.create(DataType.FLOAT, 2, 3);
        INDArray b = Nd4j.create(DataType.FLOAT, 4, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gemm.matmul(a, b, false, false));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 5]") && e.getMessage().contains("K=3"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmul(a, Nd4j.create(DataType.DOUBLE, 3, 5), false, false));
        assertTrue(e.getMessage().contains("FLOAT") && e.getMessage().contains("DOUBLE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmul(Nd4j.create(DataType.INT, 2, 3), Nd4j.create(DataType.INT, 3, 2), false, false));
        assertTrue(e.getMessage().contains("INT"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.matmul(Nd4j.create(DataType.FLOAT, 2, 3, 4), b, false, false));
        assertTrue(e.getMessage().contains("2-D") && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.batchedMatmul(
                Nd4j.create(DataType.FLOAT, 2, 3, 4), Nd4j.create(DataType.FLOAT, 3, 4, 5), false, false));
        assertTrue(e.getMessage().contains("Bt=2") && e.getMessage().contains("Bt=3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.matmulInto(
                a, Nd4j.create(DataType.FLOAT, 3, 5), false, false, Nd4j.create(DataType.FLOAT, 5, 2), 1, 0));
        assertTrue(e.getMessage().contains("[2, 5]") && e.getMessage().contains("[5, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.matmulInto(
                a, Nd4j.create(DataType.FLOAT, 3, 5), false, false, Nd4j.create(DataType.DOUBLE, 2, 5), 1, 0));
        assertTrue(e.getMessage().contains("c must have"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gemm.matmul(null, b, false, false));
        // transposes are part of the check: a^T is (3, 2), so a^T b needs b with 2 rows
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.matmul(a, Nd4j.create(DataType.FLOAT, 3, 5), true, false));
        assertTrue(e.getMessage().contains("transA=true"), e.getMessage());
    }
}
