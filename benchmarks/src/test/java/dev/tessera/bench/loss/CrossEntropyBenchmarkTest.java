package dev.tessera.bench.loss;

import static dev.tessera.bench.Close.assertClose;
import static dev.tessera.bench.Close.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.tessera.core.GradMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every side of {@link CrossEntropyBenchmark} computes the same loss and logits gradient on a small input. */
class CrossEntropyBenchmarkTest {
    static CrossEntropyBenchmark b;
    static CrossEntropyBenchmark.Nd4jSide nd;
    static CrossEntropyBenchmark.TorchSide pt;

    @BeforeAll
    static void setUp() {
        b = new CrossEntropyBenchmark();
        b.shape = "9x37";
        nd = new CrossEntropyBenchmark.Nd4jSide();
        nd.setUp(b);
        pt = new CrossEntropyBenchmark.TorchSide();
        pt.setUp(b);
    }

    @AfterAll
    static void tearDown() {
        pt.tearDown();
    }

    @Test
    void lossesAgree() {
        double tessera = b.tessera_crossEntropy(nd);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertEquals(tessera, CrossEntropyBenchmark.naive(nd).item(), 1e-5 * tessera);
        }
        assertEquals(tessera, b.nd4j_crossEntropy(nd), 1e-5 * tessera);
        assertEquals(tessera, b.pytorch_crossEntropy(pt), 1e-5 * tessera);
    }

    @Test
    void gradientsAgree() {
        float[] tessera = floats(b.tessera_crossEntropyFwdBwd(nd));
        nd.logits.zeroGrad();
        CrossEntropyBenchmark.naive(nd).backward();
        assertClose(tessera, floats(nd.logits.grad()), 1e-6, "naive");
        assertClose(tessera, floats(b.nd4j_crossEntropyFwdBwd(nd)), 1e-6, "nd4j");
        try (NDManager ignored = pt.scope()) {
            NDArray grad = pt.logits.getGradient();
            grad.subi(grad); // PyTorch accumulates into .grad; compare one call's gradient
            b.pytorch_crossEntropyFwdBwd(pt);
            assertClose(tessera, pt.logits.getGradient().toFloatArray(), 1e-6, "pytorch");
        }
    }
}
