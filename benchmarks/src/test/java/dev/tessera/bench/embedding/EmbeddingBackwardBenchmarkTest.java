package dev.tessera.bench.embedding;

import static dev.tessera.bench.Close.assertClose;
import static dev.tessera.bench.Close.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tessera.core.GradMode;
import dev.tessera.core.Indexing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every side of {@link EmbeddingBackwardBenchmark} computes the same lookup and table gradient. */
class EmbeddingBackwardBenchmarkTest {
    static EmbeddingBackwardBenchmark b;
    static EmbeddingBackwardBenchmark.Nd4jSide nd;
    static EmbeddingBackwardBenchmark.TorchSide pt;

    @BeforeAll
    static void setUp() {
        b = new EmbeddingBackwardBenchmark();
        b.shape = "40x7x5"; // 40 ids over 7 rows: every row repeats, so accumulation is exercised
        nd = new EmbeddingBackwardBenchmark.Nd4jSide();
        nd.setUp(b);
        pt = new EmbeddingBackwardBenchmark.TorchSide();
        pt.setUp(b);
    }

    @AfterAll
    static void tearDown() {
        pt.tearDown();
    }

    @Test
    void naiveReferenceOnAHandExample() {
        float[] table = {1, 2, 10, 20, 100, 200}; // (3, 2)
        int[] ids = {2, 0, 2};
        assertArrayEquals(new float[] {100, 200, 1, 2, 100, 200}, NaiveEmbedding.lookup(table, 2, ids));
        float[] g = {1, 1, 2, 3, 5, 8};
        assertArrayEquals(new float[] {2, 3, 0, 0, 6, 9}, NaiveEmbedding.scatterAdd(g, 2, ids, 3));
        assertThrows(IllegalArgumentException.class, () -> NaiveEmbedding.scatterAdd(g, 2, new int[] {0, 3, 1}, 3));
    }

    @Test
    void lookupsAgree() {
        float[] tessera;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            tessera = floats(Indexing.embedding(nd.table, nd.ids).data());
        }
        assertClose(tessera, b.naive_embeddingFwdBwd(nd)[0], 0, "naive");
        assertClose(tessera, floats(b.nd4j_embeddingFwdBwd(nd)[0]), 0, "nd4j");
    }

    @Test
    void tableGradientsAgree() {
        float[] tessera = floats(b.tessera_embeddingFwdBwd(nd));
        assertClose(tessera, b.naive_embeddingFwdBwd(nd)[1], 1e-6, "naive");
        assertClose(tessera, floats(b.nd4j_embeddingFwdBwd(nd)[1]), 1e-6, "nd4j");
        try (NDManager ignored = pt.scope()) {
            NDArray grad = pt.table.getGradient();
            grad.subi(grad); // PyTorch accumulates into .grad; compare one call's gradient
            b.pytorch_embeddingFwdBwd(pt);
            assertClose(tessera, pt.table.getGradient().toFloatArray(), 1e-6, "pytorch");
        }
    }

    /** The memory floor writes what it claims: the lookup rows, a zeroed gradient, g into its first rows. */
    @Test
    void floorMovesTheBytesItClaims() {
        EmbeddingBackwardBenchmark.FloorSide f = new EmbeddingBackwardBenchmark.FloorSide();
        f.setUp(b);
        try {
            int vc = f.vocab * f.c;
            int moved = Math.min(f.n, f.vocab) * f.c; // 7 rows of 5 at the test shape (40 ids, 7 rows)
            f.grad.fill(0x7f); // dirty (every byte 0x7f), so the memset must clear it
            b.floor_embeddingFwdBwd(f);
            float[] table = new float[vc];
            f.table.get(table);
            float[] out = new float[moved];
            f.out.get(out);
            assertArrayEquals(java.util.Arrays.copyOf(table, moved), out, "lookup rows");
            float[] g = new float[moved];
            f.g.get(g);
            float[] expected = java.util.Arrays.copyOf(g, vc); // g's rows, then zeros
            float[] grad = new float[vc];
            f.grad.get(grad);
            assertArrayEquals(expected, grad, "gradient");
        } finally {
            f.tearDown();
        }
    }
}
