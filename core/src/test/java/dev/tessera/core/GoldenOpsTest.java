package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.testing.GoldenFile;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Core ops against PyTorch 1.13 float64 values written by core/src/test/python/gen_core_golden.py. */
class GoldenOpsTest {
    private static final GoldenFile GOLDEN = GoldenFile.load("/golden/core_ops.json");
    private static final double TOL = 1e-10;

    private static void verify(String name, int inputs, Function<Tensor[], Tensor> f) {
        Tensor[] in = new Tensor[inputs];
        for (int i = 0; i < inputs; i++) {
            in[i] = Tensor.variable(GOLDEN.get(name + ".in" + i));
        }
        Tensor out = f.apply(in);
        assertClose(name + ".out", GOLDEN.get(name + ".out"), out.data());
        out.backward(GOLDEN.get(name + ".upstream"));
        for (int i = 0; i < inputs; i++) {
            assertClose(name + ".grad" + i, GOLDEN.get(name + ".grad" + i), in[i].grad());
        }
    }

    private static void assertClose(String what, INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double maxDiff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(maxDiff <= TOL * Math.max(1, expected.amaxNumber().doubleValue()),
                what + ": max |diff| = " + maxDiff);
    }

    @Test
    void layerNorm() {
        verify("layer_norm", 3, t -> Normalization.layerNorm(t[0], t[1], t[2], 1e-5));
    }

    @Test
    void rmsNorm() {
        verify("rms_norm", 2, t -> Normalization.rmsNorm(t[0], t[1], 1e-6));
    }

    @Test
    void geluExactAndTanh() {
        verify("gelu", 1, t -> t[0].gelu());
        verify("gelu_tanh", 1, t -> t[0].geluTanh());
    }

    @Test
    void softmaxAndLogSoftmax() {
        verify("softmax_last", 1, t -> t[0].softmax(-1));
        verify("softmax_dim1", 1, t -> t[0].softmax(1));
        verify("log_softmax_last", 1, t -> t[0].logSoftmax(-1));
    }

    @Test
    void broadcastingMatmul() {
        verify("matmul_broadcast", 2, t -> t[0].matmul(t[1]));
        verify("matmul_folded", 2, t -> t[0].matmul(t[1]));
    }

    @Test
    void goldenFileCarriesItsFormatVersion() {
        assertEquals(1, GoldenFile.VERSION);
        assertTrue(GOLDEN.has("layer_norm.out"));
    }
}
