package dev.tessera.bench.norm;

import static dev.tessera.bench.Close.assertClose;
import static dev.tessera.bench.Close.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Every side of {@link NormBenchmark} computes the same outputs and gradients on a small input. */
class NormBenchmarkTest {
    static NormBenchmark b;
    static NormBenchmark.Nd4jSide nd;
    static NormBenchmark.TorchSide pt;

    @BeforeAll
    static void setUp() {
        b = new NormBenchmark();
        b.shape = "6x10";
        nd = new NormBenchmark.Nd4jSide();
        nd.setUp(b);
        pt = new NormBenchmark.TorchSide();
        pt.setUp(b);
    }

    @AfterAll
    static void tearDown() {
        pt.tearDown();
    }

    /** The floor moves what it claims: all of x into y, every chunk of rows at its own place. */
    @Test
    void floorCopiesXIntoY() {
        NormBenchmark big = new NormBenchmark();
        big.shape = "300x130"; // enough work for two chunks where there are two threads
        NormBenchmark.FloorSide f = new NormBenchmark.FloorSide();
        f.setUp(big);
        try {
            float first = big.floor_norm(f);
            float[] x = new float[300 * 130];
            float[] y = new float[300 * 130];
            f.x.get(x);
            f.y.get(y);
            assertArrayEquals(x, y);
            assertEquals(x[0], first);
        } finally {
            f.tearDown();
        }
    }

    @Test
    void layerNormForwardAgrees() {
        float[] tessera = floats(NormBenchmark.layerNormOutput(nd));
        assertClose(tessera, floats(b.naive_layerNorm(nd)), 1e-5, "naive");
        assertClose(tessera, floats(b.nd4j_layerNorm(nd)), 1e-4, "nd4j");
        try (NDManager ignored = pt.scope()) {
            assertClose(tessera, pt.layerNorm().toFloatArray(), 1e-5, "pytorch");
        }
    }

    @Test
    void layerNormGradientsAgree() {
        b.tessera_layerNormFwdBwd(nd);
        float[][] tessera = {floats(nd.x.grad()), floats(nd.weight.grad()), floats(nd.bias.grad())};
        b.naive_layerNormFwdBwd(nd);
        assertClose(tessera[0], floats(nd.x.grad()), 1e-4, "naive dx");
        assertClose(tessera[1], floats(nd.weight.grad()), 1e-4, "naive dw");
        assertClose(tessera[2], floats(nd.bias.grad()), 1e-4, "naive db");
        INDArray[] nd4j = b.nd4j_layerNormFwdBwd(nd);
        assertClose(tessera[0], floats(nd4j[1]), 1e-3, "nd4j dx");
        assertClose(tessera[1], floats(nd4j[2]), 1e-3, "nd4j dw");
        assertClose(tessera[2], floats(nd4j[3]), 1e-3, "nd4j db");
        try (NDManager ignored = pt.scope()) {
            zeroTorchGrads();
            b.pytorch_layerNormFwdBwd(pt);
            assertClose(tessera[0], pt.x.getGradient().toFloatArray(), 1e-4, "pytorch dx");
            assertClose(tessera[1], pt.weight.getGradient().toFloatArray(), 1e-4, "pytorch dw");
            assertClose(tessera[2], pt.bias.getGradient().toFloatArray(), 1e-4, "pytorch db");
        }
    }

    @Test
    void rmsNormForwardAgrees() {
        float[] tessera = floats(NormBenchmark.rmsNormOutput(nd));
        assertClose(tessera, floats(b.naive_rmsNorm(nd)), 1e-5, "naive");
        try (NDManager ignored = pt.scope()) {
            assertClose(tessera, pt.rmsNorm().toFloatArray(), 1e-5, "pytorch");
        }
    }

    @Test
    void rmsNormGradientsAgree() {
        b.tessera_rmsNormFwdBwd(nd);
        float[][] tessera = {floats(nd.x.grad()), floats(nd.weight.grad())};
        b.naive_rmsNormFwdBwd(nd);
        assertClose(tessera[0], floats(nd.x.grad()), 1e-4, "naive dx");
        assertClose(tessera[1], floats(nd.weight.grad()), 1e-4, "naive dw");
        try (NDManager ignored = pt.scope()) {
            zeroTorchGrads();
            b.pytorch_rmsNormFwdBwd(pt);
            assertClose(tessera[0], pt.x.getGradient().toFloatArray(), 1e-4, "pytorch dx");
            assertClose(tessera[1], pt.weight.getGradient().toFloatArray(), 1e-4, "pytorch dw");
        }
    }

    /** PyTorch accumulates into .grad across calls; the comparisons need one call's gradient. */
    private static void zeroTorchGrads() {
        for (ai.djl.ndarray.NDArray a : new ai.djl.ndarray.NDArray[] {pt.x, pt.weight, pt.bias}) {
            ai.djl.ndarray.NDArray grad = a.getGradient();
            grad.subi(grad);
        }
    }
}
