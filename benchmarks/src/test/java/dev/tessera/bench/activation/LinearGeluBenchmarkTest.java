package dev.tessera.bench.activation;

import static dev.tessera.bench.Close.assertClose;
import static dev.tessera.bench.Close.floats;

import ai.djl.ndarray.NDManager;
import dev.tessera.core.GradMode;
import dev.tessera.core.MatMul;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every side of {@link LinearGeluBenchmark} computes the same output and gradients on a small input. */
class LinearGeluBenchmarkTest {
    static LinearGeluBenchmark b;
    static LinearGeluBenchmark.Nd4jSide nd;
    static LinearGeluBenchmark.TorchSide pt;

    @BeforeAll
    static void setUp() {
        b = new LinearGeluBenchmark();
        b.shape = "5x7x13"; // widths off the vector length
        nd = new LinearGeluBenchmark.Nd4jSide();
        nd.setUp(b);
        pt = new LinearGeluBenchmark.TorchSide();
        pt.setUp(b);
    }

    @AfterAll
    static void tearDown() {
        pt.tearDown();
    }

    @Test
    void fusedComposedAndPyTorchAgree() {
        float[] y;
        float[] yComposed;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            y = floats(MatMul.linearGelu(nd.x, nd.w, nd.b).data());
            yComposed = floats(LinearGeluBenchmark.composed(nd).data());
        }
        assertClose(y, yComposed, 1e-5, "composed y");
        float[] dx = floats(b.tessera_linearGeluFwdBwd(nd));
        float[] dw = floats(nd.w.grad());
        float[] db = floats(nd.b.grad());
        assertClose(dx, floats(b.composed_linearGeluFwdBwd(nd)), 1e-5, "composed dx");
        assertClose(dw, floats(nd.w.grad()), 1e-5, "composed dw");
        assertClose(db, floats(nd.b.grad()), 1e-5, "composed db");
        try (NDManager ignored = pt.scope()) {
            assertClose(y, pt.linearGelu().toFloatArray(), 1e-5, "pytorch y");
            b.pytorch_linearGeluFwdBwd(pt); // the first call: .grad holds exactly one call's gradient
            assertClose(dx, pt.x.getGradient().toFloatArray(), 1e-5, "pytorch dx");
            assertClose(dw, pt.w.getGradient().toFloatArray(), 1e-5, "pytorch dw");
            assertClose(db, pt.b.getGradient().toFloatArray(), 1e-5, "pytorch db");
        }
    }
}
