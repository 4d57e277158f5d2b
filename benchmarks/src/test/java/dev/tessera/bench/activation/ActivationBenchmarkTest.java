package dev.tessera.bench.activation;

import static dev.tessera.bench.Close.assertClose;
import static dev.tessera.bench.Close.floats;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Every side of {@link ActivationBenchmark} computes the same outputs and gradients on a small input. */
class ActivationBenchmarkTest {
    static ActivationBenchmark b;
    static ActivationBenchmark.Nd4jSide nd;
    static ActivationBenchmark.TorchSide pt;

    @BeforeAll
    static void setUp() {
        b = new ActivationBenchmark();
        b.shape = "5x12";
        nd = new ActivationBenchmark.Nd4jSide();
        nd.setUp(b);
        pt = new ActivationBenchmark.TorchSide();
        pt.setUp(b);
    }

    @AfterAll
    static void tearDown() {
        pt.tearDown();
    }

    /** PyTorch accumulates into .grad across calls; each comparison needs one call's gradient. */
    private static void zeroTorchGrads() {
        for (NDArray a : new NDArray[] {pt.x, pt.up}) {
            NDArray grad = a.getGradient();
            grad.subi(grad);
        }
    }

    @Test
    void exactGeluAgreesWithPyTorch() {
        float[] y = floats(ActivationBenchmark.geluOutput(nd));
        float[] dx = floats(b.tessera_geluFwdBwd(nd));
        try (NDManager ignored = pt.scope()) {
            assertClose(y, pt.gelu().toFloatArray(), 1e-5, "pytorch y");
            zeroTorchGrads();
            b.pytorch_geluFwdBwd(pt);
            assertClose(dx, pt.x.getGradient().toFloatArray(), 1e-5, "pytorch dx");
        }
    }

    @Test
    void geluTanhSidesAgree() {
        float[] y = floats(ActivationBenchmark.geluTanhOutput(nd));
        assertClose(y, floats(b.naive_geluTanh(nd)), 1e-5, "naive y");
        float[] dx = floats(b.tessera_geluTanhFwdBwd(nd));
        assertClose(dx, floats(b.naive_geluTanhFwdBwd(nd)), 1e-5, "naive dx");
        try (NDManager ignored = pt.scope()) {
            assertClose(y, pt.geluTanh().toFloatArray(), 1e-5, "pytorch y");
            zeroTorchGrads();
            b.pytorch_geluTanhFwdBwd(pt);
            assertClose(dx, pt.x.getGradient().toFloatArray(), 1e-5, "pytorch dx");
        }
    }

    @Test
    void swigluSidesAgree() {
        float[] y = floats(ActivationBenchmark.swigluOutput(nd));
        assertClose(y, floats(b.naive_swiglu(nd)), 1e-5, "naive y");
        assertClose(y, floats(b.nd4j_swiglu(nd)), 1e-5, "nd4j y");
        b.tessera_swigluFwdBwd(nd);
        float[] dGate = floats(nd.x.grad());
        float[] dUp = floats(nd.up.grad());
        b.naive_swigluFwdBwd(nd);
        assertClose(dGate, floats(nd.x.grad()), 1e-5, "naive d gate");
        assertClose(dUp, floats(nd.up.grad()), 1e-5, "naive d up");
        INDArray[] nd4j = b.nd4j_swigluFwdBwd(nd);
        assertClose(dGate, floats(nd4j[1]), 1e-5, "nd4j d gate");
        assertClose(dUp, floats(nd4j[2]), 1e-5, "nd4j d up");
        try (NDManager ignored = pt.scope()) {
            assertClose(y, pt.swiglu().toFloatArray(), 1e-5, "pytorch y");
            zeroTorchGrads();
            b.pytorch_swigluFwdBwd(pt);
            assertClose(dGate, pt.x.getGradient().toFloatArray(), 1e-5, "pytorch d gate");
            assertClose(dUp, pt.up.getGradient().toFloatArray(), 1e-5, "pytorch d up");
        }
    }
}
