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
import dev.tessera.core.MatMul;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 * A GPT MLP's up-projection with its activation, gelu(x·W + b) on (N, in)·(in, out), forward
 * without gradient recording and forward + backward of a fixed upstream gradient:
 * {@code tessera_*} is the fused node ({@code MatMul.linearGelu}: GEMM, then one pass adding the
 * bias and applying GELU; backward one pass for GELU's derivative and the bias gradient, then two
 * GEMMs), {@code composed_*} the same as two nodes ({@code MatMul.linear}, whose bias add is a
 * row-parallel host pass, then {@code gelu}), {@code pytorch_*} PyTorch eager
 * {@code gelu(x.matmul(W) + b)} (exact GELU: DJL 0.36 exposes only {@code approximate='none'}).
 * The default shape is the issue-5 GPT's c_fc at B·T = 2048 tokens, C = 256, hidden 4C.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Xms2g", "--add-modules", "jdk.incubator.vector"})
public class LinearGeluBenchmark {

    /** N x in x out. */
    @Param({"2048x256x1024"})
    public String shape;

    static int[] dims(String shape) {
        String[] p = shape.split("x");
        if (p.length != 3) {
            throw new IllegalArgumentException("shape must be N x in x out (e.g. 2048x256x1024), got " + shape);
        }
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
    }

    /** Tessera operands. */
    @State(Scope.Benchmark)
    public static class Nd4jSide {
        Tensor x; // (N, in)
        Tensor w; // (in, out)
        Tensor b; // (out)
        INDArray g; // (N, out) upstream gradient

        @Setup(Level.Trial)
        public void setUp(LinearGeluBenchmark bench) {
            HostMemory.setPooling(true); // outputs from the pool, released after each call (Outputs)
            Backend.init();
            int[] d = dims(bench.shape);
            x = Tensor.variable(Nd4j.create(BenchInputs.gaussian(d[0] * d[1], 21, 1.0), new long[] {d[0], d[1]}, 'c'));
            w = Tensor.variable(Nd4j.create(BenchInputs.gaussian(d[1] * d[2], 22, 1.5 / Math.sqrt(d[1])), new long[] {d[1], d[2]}, 'c'));
            b = Tensor.variable(Nd4j.create(BenchInputs.gaussian(d[2], 23, 0.5), new long[] {d[2]}, 'c'));
            g = Nd4j.create(BenchInputs.gaussian(d[0] * d[2], 24, 1.0), new long[] {d[0], d[2]}, 'c');
        }

        void zeroGrads() {
            x.freeGrad(); // PyTorch's twin accumulates into its kept .grad; here the previous call's is freed
            w.freeGrad();
            b.freeGrad();
        }
    }

    /** PyTorch operands, same values. */
    @State(Scope.Benchmark)
    public static class TorchSide {
        NDManager manager;
        NDArray x; // (N, in)
        NDArray w; // (in, out)
        NDArray b; // (out)
        NDArray g; // (N, out)

        @Setup(Level.Trial)
        public void setUp(LinearGeluBenchmark bench) {
            int[] d = dims(bench.shape);
            manager = PyTorch.newManager();
            x = manager.create(BenchInputs.gaussian(d[0] * d[1], 21, 1.0), new Shape(d[0], d[1]));
            w = manager.create(BenchInputs.gaussian(d[1] * d[2], 22, 1.5 / Math.sqrt(d[1])), new Shape(d[1], d[2]));
            b = manager.create(BenchInputs.gaussian(d[2], 23, 0.5), new Shape(d[2]));
            g = manager.create(BenchInputs.gaussian(d[0] * d[2], 24, 1.0), new Shape(d[0], d[2]));
            x.setRequiresGradient(true);
            w.setRequiresGradient(true);
            b.setRequiresGradient(true);
        }

        NDManager scope() {
            return PyTorch.scope(manager, x, w, b, g);
        }

        NDArray linearGelu() {
            return Activation.gelu(x.matMul(w).add(b));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            manager.close();
        }
    }

    /** The composed path's output: two nodes, the linear layer's kept for gelu's backward. */
    static Tensor composed(Nd4jSide s) {
        return MatMul.linear(s.x, s.w, s.b).gelu();
    }

    @Benchmark
    public float tessera_linearGelu(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return Outputs.firstAndRelease(MatMul.linearGelu(s.x, s.w, s.b).data());
        }
    }

    @Benchmark
    public float composed_linearGelu(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor h = MatMul.linear(s.x, s.w, s.b);
            float first = Outputs.firstAndRelease(h.gelu().data());
            HostMemory.release(h.data());
            return first;
        }
    }

    @Benchmark
    public float pytorch_linearGelu(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            return s.linearGelu().getFloat(0, 0);
        }
    }

    @Benchmark
    public INDArray tessera_linearGeluFwdBwd(Nd4jSide s) {
        s.zeroGrads();
        Outputs.backwardAndRelease(MatMul.linearGelu(s.x, s.w, s.b), s.g);
        return s.x.grad();
    }

    @Benchmark
    public INDArray composed_linearGeluFwdBwd(Nd4jSide s) {
        s.zeroGrads();
        Outputs.backwardAndRelease(composed(s), s.g);
        return s.x.grad();
    }

    @Benchmark
    public float pytorch_linearGeluFwdBwd(TorchSide s) {
        try (NDManager ignored = s.scope();
                GradientCollector gc = s.manager.getEngine().newGradientCollector()) {
            PyTorch.backward(s.linearGelu(), s.g);
            return s.x.getGradient().getFloat(0, 0);
        }
    }
}
