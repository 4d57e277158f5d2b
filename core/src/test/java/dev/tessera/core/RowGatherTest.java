package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.host.HostMemory;
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
}
