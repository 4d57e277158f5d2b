package dev.tessera.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.host.HostMemory;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link Gemm}'s float32 results taken from Tessera's pool where the thread has it on: correct
 * against a float64 reference, overwritten in full when they reuse a released block, their memory
 * reused after {@link HostMemory#release}, and never shared while unreleased.
 */
class GemmPooledOutputTest {

    private boolean poolingBefore;

    @BeforeAll
    static void init() {
        Backend.init();
    }

    @BeforeEach
    void poolOn() {
        poolingBefore = HostMemory.setPooling(true);
    }

    @AfterEach
    void restore() {
        HostMemory.setPooling(poolingBefore);
        Gemm.setForcePortable(false);
    }

    private static INDArray random(Random rnd, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextDouble() * 2 - 1;
        }
        return Nd4j.create(v, shape, 'c').castTo(DataType.FLOAT);
    }

    /** max |p - a b| with the product formed in float64 from a's and b's float32 values. */
    private static double maxError(INDArray a, INDArray b, INDArray p) {
        double[] av = HostMemory.toDoubleArray(a);
        double[] bv = HostMemory.toDoubleArray(b);
        double[] pv = HostMemory.toDoubleArray(p);
        int m = (int) a.size(0);
        int k = (int) a.size(1);
        int n = (int) b.size(1);
        double worst = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    s += av[i * k + l] * bv[l * n + j];
                }
                worst = Math.max(worst, Math.abs(s - pv[i * n + j]));
            }
        }
        return worst;
    }

    private static long reused() {
        return HostMemory.poolCounts()[0];
    }

    private static long allocated() {
        return HostMemory.poolCounts()[1];
    }

    @Test
    void matmulResultComesFromThePoolAndAReleasedOneIsReusedAndOverwritten() {
        Random rnd = new Random(3);
        INDArray a = random(rnd, 67, 45); // (M, K), sizes no other test in this class uses
        INDArray b = random(rnd, 45, 71); // (K, N)
        INDArray c1 = Gemm.matmul(a, b, false, false); // (M, N)
        assertTrue(maxError(a, b, c1) < 1e-4, "first product");
        c1.assign(Float.NaN); // a reuse that skipped any element would leave NaN in the next result
        long reusedBefore = reused();
        long allocatedBefore = allocated();
        assertTrue(HostMemory.release(c1), "a float32 matmul result is a pool block");
        INDArray c2 = Gemm.matmul(a, b, false, false);
        assertEquals(reusedBefore + 1, reused(), "the released block serves the next product of that size");
        assertEquals(allocatedBefore, allocated(), "no fresh block");
        assertTrue(maxError(a, b, c2) < 1e-4, "product in reused memory: " + maxError(a, b, c2));
        HostMemory.release(c2);
    }

    @Test
    void unreleasedResultsAreDistinctAndKeepTheirValues() {
        Random rnd = new Random(4);
        INDArray a = random(rnd, 33, 20);
        INDArray b = random(rnd, 20, 19);
        INDArray c1 = Gemm.matmul(a, b, false, false);
        INDArray kept = c1.dup();
        INDArray c2 = Gemm.matmul(b.transpose(), a.transpose(), false, false); // (19, 33), = c1^T
        INDArray c3 = Gemm.matmul(a, b, false, false); // same size as c1, which is still in use
        assertNotEquals(c1.data().address(), c3.data().address(), "an unreleased block is not handed out again");
        c3.assign(7f);
        assertEquals(kept, c1, "c1 unchanged by later products");
        assertTrue(maxError(b.transpose().dup('c'), a.transpose().dup('c'), c2) < 1e-4, "transposed-view operands");
    }

    @Test
    void batchedMatmulAndSumRowsResultsArePooledAndCorrect() {
        Random rnd = new Random(5);
        INDArray a = random(rnd, 3, 17, 9); // (Bt, M, K)
        INDArray b = random(rnd, 3, 9, 13); // (Bt, K, N)
        INDArray c = Gemm.batchedMatmul(a, b, false, false); // (Bt, M, N)
        for (int i = 0; i < 3; i++) {
            INDArray ai = a.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
            INDArray bi = b.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
            INDArray ci = c.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
            assertTrue(maxError(ai, bi, ci) < 1e-4, "batch " + i);
        }
        assertTrue(HostMemory.release(c), "a float32 batched result is a pool block");

        INDArray x = random(rnd, 41, 23); // (N, C)
        INDArray s = Gemm.sumRows(x); // (C)
        double[] xv = HostMemory.toDoubleArray(x);
        for (int j = 0; j < 23; j++) {
            double expected = 0;
            for (int i = 0; i < 41; i++) {
                expected += xv[i * 23 + j];
            }
            assertEquals(expected, s.getDouble(j), 1e-5, "column " + j);
        }
        boolean direct = Gemm.usesDirectMkl();
        assertEquals(direct, HostMemory.release(s), "the direct row sum's result is a pool block");
    }

    @Test
    void copiedOperandIsReleasedAfterTheProduct() {
        Random rnd = new Random(6);
        INDArray big = random(rnd, 58, 62);
        // every other row and column: a layout BLAS cannot describe, so the operand is copied
        INDArray a = big.get(NDArrayIndex.interval(0, 2, 58), NDArrayIndex.interval(0, 2, 62)); // (29, 31)
        INDArray b = random(rnd, 31, 37);
        INDArray first = Gemm.matmul(a, b, false, false); // (29, 37): takes blocks for the copy and the result
        assertTrue(maxError(a.dup('c'), b, first) < 1e-4, "strided operand");
        HostMemory.release(first);
        long allocatedBefore = allocated();
        INDArray second = Gemm.matmul(a, b, false, false);
        assertEquals(allocatedBefore, allocated(),
                "the first call's copy and result were released, so the second takes both from idle blocks");
        assertEquals(first.shape().length, second.shape().length);
        assertTrue(maxError(a.dup('c'), b, second) < 1e-4, "second product");
        HostMemory.release(second);
    }

    @Test
    void withoutPoolingResultsAreNd4jMemory() {
        HostMemory.setPooling(false);
        Random rnd = new Random(7);
        INDArray a = random(rnd, 12, 8);
        INDArray b = random(rnd, 8, 10);
        INDArray c = Gemm.matmul(a, b, false, false);
        assertTrue(maxError(a, b, c) < 1e-4);
        assertFalse(HostMemory.release(c), "an ND4J array is left to the collector");
    }

    @Test
    void float64ResultsStayNd4jArraysAndPortablePathStillWorksWithPoolingOn() {
        Random rnd = new Random(8);
        INDArray a = random(rnd, 14, 6).castTo(DataType.DOUBLE);
        INDArray b = random(rnd, 6, 9).castTo(DataType.DOUBLE);
        INDArray c = Gemm.matmul(a, b, false, false);
        assertEquals(DataType.DOUBLE, c.dataType());
        assertTrue(maxError(a, b, c) < 1e-12);
        assertFalse(HostMemory.release(c), "only float32 comes from the pool");
        Gemm.setForcePortable(true);
        INDArray af = a.castTo(DataType.FLOAT);
        INDArray bf = b.castTo(DataType.FLOAT);
        INDArray p = Gemm.matmul(af, bf, false, false);
        assertTrue(maxError(af, bf, p) < 1e-4, "portable path into a pooled result");
        assertTrue(HostMemory.release(p));
    }
}
