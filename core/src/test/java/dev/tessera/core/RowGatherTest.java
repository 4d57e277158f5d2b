package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.host.HostMemory;
import dev.tessera.host.Parallel;
import dev.tessera.host.Simd;
import dev.tessera.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The fused float32 embedding gather / scatter-add against the portable ND4J path and float64. */
class RowGatherTest {

    /** Output and weight gradient of an embedding lookup, as float64. */
    private static INDArray[] lookup(INDArray table, INDArray ids, INDArray up, boolean portable) {
        Tensor w = Tensor.variable(table.dup());
        HostMemory.setForcePortable(portable);
        try {
            Tensor y = Indexing.embedding(w, ids);
            y.backward(up.castTo(table.dataType()));
            return new INDArray[] {y.data().castTo(DataType.DOUBLE), w.grad().castTo(DataType.DOUBLE)};
        } finally {
            HostMemory.setForcePortable(false);
        }
    }

    private static void assertClose(String what, INDArray expected, INDArray actual, double tol) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what);
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff <= tol, what + ": max abs difference " + diff + " > " + tol);
    }

    @Test
    void fusedEmbeddingMatchesPortableAndFloat64WithRepeatedIds() {
        Rng rng = new Rng(5);
        // small (single task) and large (parallel: 3·101·129 elements); odd widths; many repeats
        for (int[] shape : new int[][] {{1, 5, 3}, {3, 101, 129}}) {
            int b = shape[0];
            int t = shape[1];
            int c = shape[2];
            int vocab = 40; // ids below use 0..36 only
            int[][] ids = new int[b][t];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    ids[i][j] = (i * 31 + j * j) % (j % 4 == 0 ? 3 : 37); // ids 0..2 repeat often
                }
            }
            INDArray idArr = Nd4j.createFromArray(ids);
            INDArray table = rng.normal(DataType.DOUBLE, 0, 1, vocab, c);
            INDArray up = rng.normal(DataType.DOUBLE, 0, 1, b, t, c);
            INDArray[] ref = lookup(table, idArr, up, false); // float64: the portable path
            INDArray[] fused = lookup(table.castTo(DataType.FLOAT), idArr, up, false);
            INDArray[] portable = lookup(table.castTo(DataType.FLOAT), idArr, up, true);
            String what = b + "x" + t + "x" + c;
            assertClose(what + " fused output", ref[0], fused[0], 1e-6);
            assertClose(what + " portable output", ref[0], portable[0], 1e-6);
            assertClose(what + " fused grad", ref[1], fused[1], 1e-4);
            assertClose(what + " fused grad vs portable", portable[1], fused[1], 1e-4);
            // rows never looked up get exactly zero gradient
            assertEquals(0.0, fused[1].getRow(vocab - 1).amaxNumber().doubleValue(), 0.0, what + " unused row");
        }
    }

    @Test
    void fusedScatterAddSumsInIdOrder() {
        // one destination row hit many times: the fused sum must equal the sequential float sum exactly
        int n = 5000;
        int c = 8;
        int[] idx = new int[n];
        float[] g = new float[n * c];
        float[] expected = new float[c];
        for (int i = 0; i < n; i++) {
            idx[i] = i % 7 == 0 ? 1 : 0;
            for (int j = 0; j < c; j++) {
                g[i * c + j] = (float) Math.sin(i * 0.37 + j);
                if (idx[i] == 1) {
                    expected[j] += g[i * c + j];
                }
            }
        }
        INDArray out = RowGather.scatterAdd(HostMemory.fromArray(g, n, c), idx, 3, c);
        for (int j = 0; j < c; j++) {
            assertEquals(expected[j], out.getFloat(1, j), 0f, "column " + j);
            assertEquals(0f, out.getFloat(2, j), 0f);
        }
    }

    @Test
    void gradientCheckOfEmbeddingAndIndexSelect() {
        Rng rng = new Rng(9);
        Tensor w = GradCheck.randomVariable(rng, 6, 3);
        INDArray ids = Nd4j.createFromArray(new int[][] {{1, 4, 1}, {0, 5, 4}});
        GradCheck.check("embedding", in -> Indexing.embedding(in[0], ids), w);
        Tensor x = GradCheck.randomVariable(rng, 4, 5);
        GradCheck.check("indexSelect dim 1", in -> Indexing.indexSelect(in[0], 1, new int[] {4, 0, 4, 2}), x);
    }

    /** Σ g[i] into row idx[i] in id order, in float32 from zero, as one sequential loop. */
    private static float[] sequentialScatter(float[] g, int[] idx, int rows, int c) {
        float[] out = new float[rows * c];
        for (int i = 0; i < idx.length; i++) {
            for (int j = 0; j < c; j++) {
                out[idx[i] * c + j] += g[i * c + j];
            }
        }
        return out;
    }

    /** Ids over [0, rows) with heavy repeats and untouched rows (every id below rows / 2 is odd-free). */
    private static int[] skewedIds(int n, int rows, long seed) {
        java.util.Random rnd = new java.util.Random(seed);
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            int id = rnd.nextInt(4) == 0 ? 3 : rnd.nextInt(rows); // row 3 takes about a quarter
            idx[i] = id < rows / 2 && id % 2 == 1 ? id - 1 : id; // odd rows of the first half never hit
        }
        return idx;
    }

    @Test
    void pooledScatterAddOverwritesReusedMemoryAndEqualsTheSequentialSumBitForBit() {
        boolean before = HostMemory.setPooling(true);
        try {
            // odd widths (not multiples of any vector length) and a width of whole vectors;
            // rows x width large enough for several parallel tasks
            for (int c : new int[] {1, 17, 64, 131}) {
                int rows = 301;
                int n = 2000;
                int[] idx = skewedIds(n, rows, c);
                float[] g = new float[n * c];
                java.util.Random rnd = new java.util.Random(c + 100);
                for (int i = 0; i < g.length; i++) {
                    g[i] = (float) rnd.nextGaussian();
                }
                float[] expected = sequentialScatter(g, idx, rows, c);
                // a released block of the output's size full of NaN: the result must overwrite all of it
                INDArray poison = HostMemory.newFloats(rows, c);
                poison.assign(Float.NaN);
                assertTrue(HostMemory.release(poison));
                long reusedBefore = HostMemory.poolCounts()[0];
                INDArray gArr = HostMemory.fromArray(g, n, c);
                for (boolean scalar : new boolean[] {false, true}) {
                    Simd.setForceScalar(scalar);
                    try {
                        INDArray out = RowGather.scatterAdd(gArr, idx, rows, c); // (R, C)
                        float[] actual = HostMemory.toFloatArray(out);
                        for (int k = 0; k < expected.length; k++) {
                            if (Float.floatToRawIntBits(expected[k]) != Float.floatToRawIntBits(actual[k])) {
                                fail("width " + c + (scalar ? " scalar" : " SIMD") + ": element (" + k / c + ", "
                                        + k % c + ") is " + actual[k] + ", the sequential sum is " + expected[k]);
                            }
                        }
                        assertTrue(HostMemory.release(out), "the gradient is a pool block");
                    } finally {
                        Simd.setForceScalar(false);
                    }
                }
                assertTrue(HostMemory.poolCounts()[0] >= reusedBefore + 2, "released blocks were reused");
            }
        } finally {
            HostMemory.setPooling(before);
        }
    }

    @Test
    void scatterAddGivesTheSameBitsForAnyNumberOfThreads() {
        int rows = 517;
        int c = 77;
        int n = 4096;
        int[] idx = skewedIds(n, rows, 11);
        float[] g = new float[n * c];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) Math.sin(i * 0.013) * 3;
        }
        INDArray gArr = HostMemory.fromArray(g, n, c);
        int threadsBefore = Parallel.threads();
        float[] reference = null;
        try {
            for (int threads : new int[] {1, 2, 3, 8}) {
                Parallel.setThreads(threads);
                float[] actual = HostMemory.toFloatArray(RowGather.scatterAdd(gArr, idx, rows, c));
                if (reference == null) {
                    reference = actual;
                }
                assertArrayEquals(reference, actual, 0f, threads + " threads");
            }
        } finally {
            Parallel.setThreads(threadsBefore);
        }
        assertArrayEquals(sequentialScatter(g, idx, rows, c), reference, 0f, "sequential sum");
    }

    @Test
    void rowRangesCoverAllRowsInOrderWithBalancedWork() {
        // 10 rows; row 2 takes 50 of the 60 ids, the rest one each
        int[] counts = {1, 1, 50, 1, 1, 1, 1, 1, 1, 1, 0};
        int[] from = new int[counts.length];
        for (int q = 1; q < from.length; q++) {
            from[q] = from[q - 1] + counts[q - 1];
        }
        for (int tasks = 1; tasks <= 12; tasks++) {
            int[] cut = RowGather.rowRanges(from, tasks);
            assertEquals(tasks + 1, cut.length);
            assertEquals(0, cut[0]);
            assertEquals(10, cut[tasks]);
            for (int t = 0; t < tasks; t++) {
                assertTrue(cut[t] <= cut[t + 1], "ranges in order for " + tasks + " tasks");
            }
        }
        int[] two = RowGather.rowRanges(from, 2); // total work 70: the cut lands right after row 2
        assertEquals(3, two[1]);
    }

    @Test
    void embeddingForwardAndBackwardUsePooledMemoryOnly() {
        boolean before = HostMemory.setPooling(true);
        try {
            Rng rng = new Rng(13);
            INDArray table = rng.normal(DataType.DOUBLE, 0, 1, 50, 33);
            int[][] ids = {{4, 7, 4, 49}, {0, 4, 7, 7}};
            INDArray up = rng.normal(DataType.DOUBLE, 0, 1, 2, 4, 33);
            INDArray[] ref = lookup(table, Nd4j.createFromArray(ids), up, false); // float64 reference
            Tensor w = Tensor.variable(table.castTo(DataType.FLOAT));
            for (int round = 0; round < 3; round++) { // later rounds run in released, reused blocks
                long allocatedBefore = HostMemory.poolCounts()[1];
                Tensor y = Indexing.embedding(w, Nd4j.createFromArray(ids));
                y.backwardAndFree(up.castTo(DataType.FLOAT));
                assertClose("output round " + round, ref[0], y.data().castTo(DataType.DOUBLE), 1e-6);
                assertClose("grad round " + round, ref[1], w.grad().castTo(DataType.DOUBLE), 1e-5);
                assertTrue(HostMemory.release(y.data()), "the lookup is a pool block");
                w.freeGrad();
                if (round > 0) {
                    assertEquals(allocatedBefore, HostMemory.poolCounts()[1], "round " + round + " took only idle blocks");
                }
            }
        } finally {
            HostMemory.setPooling(before);
        }
    }
}
