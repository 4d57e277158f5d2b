package dev.tessera.bench.activation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import dev.tessera.backend.Backend;
import dev.tessera.bench.BenchInputs;
import dev.tessera.bench.Outputs;
import dev.tessera.bench.PyTorch;
import dev.tessera.core.GradMode;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import dev.tessera.host.Simd;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Swish;
import org.nd4j.linalg.api.ops.impl.transforms.strict.SwishDerivative;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * MLP activations on an (N, H) float32 input, forward without gradient recording and
 * forward + backward of a fixed upstream gradient:
 * <ul>
 *   <li>{@code *_gelu}: exact GELU, 0.5·x·(1 + erf(x/√2)): Tessera's {@code Tensor.gelu} (SIMD kernel,
 *       a rational erf, 3.3e-7 absolute, no exp) vs PyTorch's {@code gelu} (no naive twin: Tessera has no erf tensor op);</li>
 *   <li>{@code *_geluTanh}: GPT-2's tanh approximation: Tessera's fused {@code Tensor.geluTanh} vs the
 *       composition from Tessera ops ({@link NaiveActivations#geluTanh}) vs PyTorch eager composing the same formula
 *       (DJL 0.36 exposes only {@code approximate='none'}, so PyTorch pays ~7 ops here where its
 *       {@code gelu(approximate='tanh')} would be one). ND4J's {@code PreciseGELU} is no anchor: it computes another approximation
 *       (2.392 where the tanh formula gives 2.423, on the first element of the unit test's input);</li>
 *   <li>{@code *_swiglu}: silu(gate)·up, as Tessera's Llama MLP computes it ({@code gate.swiglu(up)}, one fused node;
 *       the composition {@code gate.silu().mul(up)} takes two) vs {@link NaiveActivations#swiglu} vs ND4J's {@code Swish}/{@code SwishDerivative} vs
 *       PyTorch {@code sigmoid(gate)·gate·up} (DJL has no {@code silu}: one op more than Hugging Face's
 *       {@code F.silu(gate) * up}).</li>
 * </ul>
 * {@code scalar_*} runs Tessera's kernel on its scalar implementation (a JVM without
 * {@code --add-modules jdk.incubator.vector}), so the report shows what the Vector API brings.
 * (2048, 1024) is the hidden width 4C of the issue-5 GPT (C = 256) at B·T = 2048 tokens.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Xms2g", "--add-modules", "jdk.incubator.vector"})
public class ActivationBenchmark {

    /** (N, H). */
    @Param({"2048x1024"})
    public String shape;

    /** Tessera and ND4J operands. */
    @State(Scope.Benchmark)
    public static class Nd4jSide {
        Tensor x; // (N, H) GELU input, also SwiGLU's gate
        Tensor up; // (N, H) SwiGLU's up projection
        INDArray g; // (N, H) upstream gradient

        @Setup(Level.Trial)
        public void setUp(ActivationBenchmark b) {
            HostMemory.setPooling(true); // outputs from the pool, released after each call (Outputs)
            Backend.init();
            int[] rc = BenchInputs.rowsCols(b.shape);
            long[] sh = {rc[0], rc[1]};
            x = Tensor.variable(Nd4j.create(BenchInputs.gaussian(rc[0] * rc[1], 11, 1.5), sh, 'c'));
            up = Tensor.variable(Nd4j.create(BenchInputs.gaussian(rc[0] * rc[1], 12, 1.0), sh, 'c'));
            g = Nd4j.create(BenchInputs.gaussian(rc[0] * rc[1], 13, 1.0), sh, 'c');
        }

        void zeroGrads() {
            x.freeGrad(); // PyTorch's twin accumulates into its kept .grad; here the previous call's is freed
            up.freeGrad();
        }
    }

    /** PyTorch operands, same values. */
    @State(Scope.Benchmark)
    public static class TorchSide {
        NDManager manager;
        NDArray x; // (N, H)
        NDArray up; // (N, H)
        NDArray g; // (N, H)

        @Setup(Level.Trial)
        public void setUp(ActivationBenchmark b) {
            int[] rc = BenchInputs.rowsCols(b.shape);
            Shape sh = new Shape(rc[0], rc[1]);
            manager = PyTorch.newManager();
            x = manager.create(BenchInputs.gaussian(rc[0] * rc[1], 11, 1.5), sh);
            up = manager.create(BenchInputs.gaussian(rc[0] * rc[1], 12, 1.0), sh);
            g = manager.create(BenchInputs.gaussian(rc[0] * rc[1], 13, 1.0), sh);
            x.setRequiresGradient(true);
            up.setRequiresGradient(true);
        }

        NDManager scope() {
            return PyTorch.scope(manager, x, up, g);
        }

        NDArray gelu() {
            return Activation.gelu(x);
        }

        NDArray geluTanh() {
            NDArray inner = x.add(x.mul(x).mul(x).mul(0.044715f)).mul((float) Math.sqrt(2.0 / Math.PI));
            return x.mul(inner.tanh().add(1f)).mul(0.5f);
        }

        NDArray swiglu() {
            return Activation.sigmoid(x).mul(x).mul(up);
        }

        void forwardBackward(Supplier<NDArray> forward) {
            try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
                PyTorch.backward(forward.get(), g);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            manager.close();
        }
    }

    // ---------------------------------------------------------------- exact GELU

    @Benchmark
    public float tessera_gelu(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return Outputs.firstAndRelease(s.x.gelu().data());
        }
    }

    @Benchmark
    public float scalar_gelu(Nd4jSide s) {
        Simd.setForceScalar(true);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return Outputs.firstAndRelease(s.x.gelu().data());
        } finally {
            Simd.setForceScalar(false);
        }
    }

    @Benchmark
    public float pytorch_gelu(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            return s.gelu().getFloat(0, 0);
        }
    }

    @Benchmark
    public INDArray tessera_geluFwdBwd(Nd4jSide s) {
        s.zeroGrads();
        Outputs.backwardAndRelease(s.x.gelu(), s.g);
        return s.x.grad();
    }

    @Benchmark
    public float pytorch_geluFwdBwd(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            s.forwardBackward(s::gelu);
            return s.x.getGradient().getFloat(0, 0);
        }
    }

    // ---------------------------------------------------------------- GELU, tanh approximation

    @Benchmark
    public float tessera_geluTanh(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return Outputs.firstAndRelease(s.x.geluTanh().data());
        }
    }

    /** Tessera's kernel on its scalar implementation (a JVM without jdk.incubator.vector). */
    @Benchmark
    public float scalar_geluTanh(Nd4jSide s) {
        Simd.setForceScalar(true);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return Outputs.firstAndRelease(s.x.geluTanh().data());
        } finally {
            Simd.setForceScalar(false);
        }
    }

    @Benchmark
    public INDArray naive_geluTanh(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return NaiveActivations.geluTanh(s.x).data();
        }
    }

    @Benchmark
    public float pytorch_geluTanh(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            return s.geluTanh().getFloat(0, 0);
        }
    }

    @Benchmark
    public INDArray tessera_geluTanhFwdBwd(Nd4jSide s) {
        s.zeroGrads();
        Outputs.backwardAndRelease(s.x.geluTanh(), s.g);
        return s.x.grad();
    }

    @Benchmark
    public INDArray naive_geluTanhFwdBwd(Nd4jSide s) {
        s.zeroGrads();
        NaiveActivations.geluTanh(s.x).backward(s.g);
        return s.x.grad();
    }

    @Benchmark
    public float pytorch_geluTanhFwdBwd(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            s.forwardBackward(s::geluTanh);
            return s.x.getGradient().getFloat(0, 0);
        }
    }

    // ---------------------------------------------------------------- SwiGLU

    @Benchmark
    public float tessera_swiglu(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return Outputs.firstAndRelease(s.x.swiglu(s.up).data());
        }
    }

    @Benchmark
    public INDArray naive_swiglu(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return NaiveActivations.swiglu(s.x, s.up).data();
        }
    }

    @Benchmark
    public INDArray nd4j_swiglu(Nd4jSide s) {
        return Nd4j.exec(new Swish(s.x.data(), s.x.data().ulike())).muli(s.up.data());
    }

    @Benchmark
    public float pytorch_swiglu(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            return s.swiglu().getFloat(0, 0);
        }
    }

    @Benchmark
    public INDArray tessera_swigluFwdBwd(Nd4jSide s) {
        s.zeroGrads();
        Outputs.backwardAndRelease(s.x.swiglu(s.up), s.g);
        return s.x.grad();
    }

    @Benchmark
    public INDArray naive_swigluFwdBwd(Nd4jSide s) {
        s.zeroGrads();
        NaiveActivations.swiglu(s.x, s.up).backward(s.g);
        return s.x.grad();
    }

    /** Forward output, d gate = silu'(gate)·up·g and d up = silu(gate)·g. */
    @Benchmark
    public INDArray[] nd4j_swigluFwdBwd(Nd4jSide s) {
        INDArray silu = Nd4j.exec(new Swish(s.x.data(), s.x.data().ulike()));
        INDArray y = silu.mul(s.up.data());
        INDArray dGate = Nd4j.exec(new SwishDerivative(s.x.data(), s.x.data().ulike())).muli(s.up.data()).muli(s.g);
        INDArray dUp = silu.muli(s.g);
        return new INDArray[] {y, dGate, dUp};
    }

    @Benchmark
    public float pytorch_swigluFwdBwd(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            s.forwardBackward(s::swiglu);
            return s.x.getGradient().getFloat(0, 0);
        }
    }

    // ---------------------------------------------------------------- full outputs, for the unit test

    /** Tessera's exact GELU output, whole (the benchmark reads one element and releases it). */
    static INDArray geluOutput(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return s.x.gelu().data();
        }
    }

    /** Tessera's tanh-GELU output, whole. */
    static INDArray geluTanhOutput(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return s.x.geluTanh().data();
        }
    }

    /** Tessera's SwiGLU output, whole. */
    static INDArray swigluOutput(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return s.x.swiglu(s.up).data();
        }
    }
}
