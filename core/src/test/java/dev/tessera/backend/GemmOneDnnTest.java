package dev.tessera.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The 2-D float32 products through oneDNN and through MKL, each against a float64 triple loop and
 * against ND4J's portable matmul, whichever library {@link GemmChoice} picked for this machine.
 */
class GemmOneDnnTest {
    private static boolean chosen;

    @BeforeAll
    static void setUp() {
        Backend.init();
        Assumptions.assumeTrue(Backend.hasDirectMkl(), "direct BLAS not loaded: " + Backend.summary());
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux") && System.getProperty("os.arch").equals("amd64")) {
            OneDnnBlas.selfTest(); // core ships oneDNN for linux-x86_64: it must load here
        } else {
            try {
                OneDnnBlas.selfTest();
            } catch (Throwable t) {
                Assumptions.abort("oneDNN not available on this platform: " + t);
            }
        }
        chosen = Backend.usesOneDnnSgemm();
    }

    @AfterAll
    static void restore() {
        if (Backend.hasDirectMkl()) {
            Backend.setOneDnnSgemm(chosen);
        }
        Gemm.setForcePortable(false);
    }

    private static INDArray random(Random rnd, long r, long c) {
        float[] v = new float[(int) (r * c)];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return Nd4j.create(v, new long[] {r, c}, 'c');
    }

    private static void assertMatchesFloat64(INDArray a, INDArray b, boolean ta, boolean tb, INDArray got, String what) {
        double[][] ad = (ta ? a.transpose() : a).castTo(DataType.DOUBLE).toDoubleMatrix();
        double[][] bd = (tb ? b.transpose() : b).castTo(DataType.DOUBLE).toDoubleMatrix();
        int m = ad.length;
        int k = ad[0].length;
        int n = bd[0].length;
        assertArrayEquals(new long[] {m, n}, got.shape(), what);
        double[][] g = got.castTo(DataType.DOUBLE).toDoubleMatrix();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += ad[i][p] * bd[p][j];
                }
                assertTrue(Math.abs(s - g[i][j]) <= 1e-5 * (1 + Math.abs(s)) * Math.sqrt(k),
                        String.format(Locale.ROOT, "%s: [%d,%d] expected %.9g got %.9g", what, i, j, s, g[i][j]));
            }
        }
    }

    @Test
    void bothLibrariesMatchFloat64OnOddSizesTransposesAndViews() {
        Random rnd = new Random(3);
        int[][] sizes = {{1, 1, 1}, {7, 5, 6}, {33, 17, 65}, {130, 129, 31}};
        for (boolean oneDnn : new boolean[] {true, false}) {
            Backend.setOneDnnSgemm(oneDnn);
            assertEquals(oneDnn, Backend.usesOneDnnSgemm());
            for (int[] s : sizes) {
                int m = s[0], k = s[1], n = s[2];
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        String what = (oneDnn ? "oneDNN" : "MKL") + " m=" + m + " k=" + k + " n=" + n + " ta=" + ta + " tb=" + tb;
                        INDArray a = ta ? random(rnd, k, m) : random(rnd, m, k);
                        // b as a block of a wider array: leading dimension above its width
                        INDArray wide = tb ? random(rnd, n, k + 3) : random(rnd, k, n + 3);
                        INDArray b = wide.get(NDArrayIndex.all(), NDArrayIndex.interval(0, tb ? k : n));
                        INDArray c = Gemm.matmul(a, b, ta, tb);
                        assertMatchesFloat64(a, b, ta, tb, c, what);
                        Gemm.setForcePortable(true);
                        INDArray portable = Gemm.matmul(a, b, ta, tb);
                        Gemm.setForcePortable(false);
                        assertTrue(c.equalsWithEps(portable, 1e-4 * Math.sqrt(k)), what + " vs portable: "
                                + c.sub(portable).amaxNumber());
                        // into a transposed (column-major) view, accumulating: 2 c + 0.5 op(a) op(b)
                        INDArray target = random(rnd, n, m).transpose(); // (m, n) with strides (1, m)
                        INDArray expected = target.mul(2).add(c.mul(0.5));
                        Gemm.matmulInto(a, b, ta, tb, target, 0.5, 2.0);
                        assertTrue(target.equalsWithEps(expected, 1e-4 * Math.sqrt(k)), what + " into view: "
                                + target.sub(expected).amaxNumber());
                    }
                }
            }
        }
    }

    @Test
    void betaZeroIgnoresNaNInTheTargetOnBothLibraries() {
        for (boolean oneDnn : new boolean[] {true, false}) {
            Backend.setOneDnnSgemm(oneDnn);
            INDArray a = Nd4j.create(new float[] {1, 2, 3, 4}, new long[] {2, 2}, 'c');
            INDArray c = Nd4j.valueArrayOf(new long[] {2, 2}, Float.NaN, DataType.FLOAT);
            Gemm.matmulInto(a, a, false, false, c, 1.0, 0.0);
            assertArrayEquals(new float[] {7, 10, 15, 22}, c.data().asFloat(), 0f, "oneDNN=" + oneDnn);
        }
    }

    @Test
    void setThreadsKeepsOneDnnOnlyAtItsPoolSize() {
        Assumptions.assumeTrue(Backend.gemmKernel() == GemmChoice.Kernel.ONEDNN, "oneDNN not chosen for this CPU");
        int procs = Runtime.getRuntime().availableProcessors();
        int before = Backend.threads();
        try {
            Backend.setThreads(procs);
            assertTrue(Backend.usesOneDnnSgemm());
            if (procs > 1) {
                Backend.setThreads(1);
                assertTrue(!Backend.usesOneDnnSgemm(), "one thread asked: MKL, which honours it");
            }
        } finally {
            Backend.setThreads(before);
            Backend.setOneDnnSgemm(chosen);
        }
    }
}
