package dev.tessera.bench.norm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tessera.backend.Backend;
import dev.tessera.bench.BenchInputs;
import dev.tessera.bench.Outputs;
import dev.tessera.bench.PyTorch;
import dev.tessera.core.GradMode;
import dev.tessera.core.Normalization;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import dev.tessera.host.Parallel;
import dev.tessera.host.Simd;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LayerNorm;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LayerNormBp;
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
 * Layer norm and RMS norm over the last dimension of an (N, C) float32 input with a (C) weight
 * (and bias for layer norm), eps 1e-5: forward without gradient recording ({@code *_layerNorm},
 * {@code *_rmsNorm}) and forward + backward of a fixed upstream gradient into x, weight and bias
 * ({@code *_layerNormFwdBwd}, {@code *_rmsNormFwdBwd}).
 * <ul>
 *   <li>{@code tessera_*}: {@link Normalization#layerNorm} and {@link Normalization#rmsNorm} (SIMD
 *       row kernels over the arrays' memory, multi-threaded);</li>
 *   <li>{@code naive_*}: the same formulas composed from Tessera tensor ops ({@link NaiveNorms});</li>
 *   <li>{@code scalar_*}: Tessera's kernel on its scalar {@code SimdOps} (what runs without
 *       {@code --add-modules jdk.incubator.vector});</li>
 *   <li>{@code nd4j_*}: ND4J's {@code layer_norm} / {@code layer_norm_bp} custom ops (ND4J has no RMS norm);</li>
 *   <li>{@code pytorch_*}: PyTorch's {@code layer_norm} through DJL; for RMS norm, which DJL 0.36 does not
 *       expose, the eager composition Hugging Face's Llama uses, {@code x · (mean(x²) + eps)^-½ · w}.</li>
 *   <li>{@code floor_norm}: no norm at all, only the memory traffic every norm forward must do (x read
 *       once, y written once), as a {@code memcpy} of each thread's rows on Tessera's kernel threads.
 *       A forward near it is bound by memory bandwidth, not by its arithmetic.</li>
 * </ul>
 * The (2048, 768) shape is GPT-2 small's width at 2048 tokens.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Xms2g", "--add-modules", "jdk.incubator.vector"})
public class NormBenchmark {
    static final double EPS = 1e-5;

    /** (N, C) rows × channels. */
    @Param({"2048x768"})
    public String shape;

    /** Tessera and ND4J operands. */
    @State(Scope.Benchmark)
    public static class Nd4jSide {
        Tensor x; // (N, C)
        Tensor weight; // (C)
        Tensor bias; // (C)
        INDArray g; // (N, C) upstream gradient

        @Setup(Level.Trial)
        public void setUp(NormBenchmark b) {
            HostMemory.setPooling(true); // outputs from the pool, released after each call (Outputs)
            Backend.init();
            int[] rc = BenchInputs.rowsCols(b.shape);
            x = Tensor.variable(Nd4j.create(BenchInputs.gaussian(rc[0] * rc[1], 1, 1.0), new long[] {rc[0], rc[1]}, 'c'));
            weight = Tensor.variable(Nd4j.create(weightValues(rc[1]), new long[] {rc[1]}, 'c'));
            bias = Tensor.variable(Nd4j.create(BenchInputs.gaussian(rc[1], 3, 0.1), new long[] {rc[1]}, 'c'));
            g = Nd4j.create(BenchInputs.gaussian(rc[0] * rc[1], 4, 1.0), new long[] {rc[0], rc[1]}, 'c');
        }

        void zeroGrads() {
            x.freeGrad(); // PyTorch's twin accumulates into its kept .grad; here the previous call's is freed
            weight.freeGrad();
            bias.freeGrad();
        }
    }

    /** PyTorch operands, same values. */
    @State(Scope.Benchmark)
    public static class TorchSide {
        NDManager manager;
        NDArray x; // (N, C)
        NDArray weight; // (C)
        NDArray bias; // (C)
        NDArray g; // (N, C)
        int c;

        @Setup(Level.Trial)
        public void setUp(NormBenchmark b) {
            int[] rc = BenchInputs.rowsCols(b.shape);
            c = rc[1];
            manager = PyTorch.newManager();
            x = manager.create(BenchInputs.gaussian(rc[0] * rc[1], 1, 1.0), new Shape(rc[0], rc[1]));
            weight = manager.create(weightValues(rc[1]), new Shape(rc[1]));
            bias = manager.create(BenchInputs.gaussian(rc[1], 3, 0.1), new Shape(rc[1]));
            g = manager.create(BenchInputs.gaussian(rc[0] * rc[1], 4, 1.0), new Shape(rc[0], rc[1]));
            x.setRequiresGradient(true);
            weight.setRequiresGradient(true);
            bias.setRequiresGradient(true);
        }

        /** A scope owning everything one operation creates (see {@link PyTorch#scope}). */
        NDManager scope() {
            return PyTorch.scope(manager, x, weight, bias, g);
        }

        NDArray layerNorm() {
            return x.getNDArrayInternal().layerNorm(x, new Shape(c), weight, bias, (float) EPS).singletonOrThrow();
        }

        NDArray rmsNorm() {
            NDArray rstd = x.mul(x).mean(new int[] {-1}, true).add(EPS).pow(-0.5); // (N, 1)
            return x.mul(rstd).mul(weight);
        }

        /** Runs {@code forward} and back-propagates {@code g}; gradients land in x, weight (and bias). */
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

    /** 1 + small noise, so a wrong weight index shows in the comparisons. */
    static float[] weightValues(int c) {
        float[] w = BenchInputs.gaussian(c, 2, 0.1);
        for (int i = 0; i < c; i++) {
            w[i] += 1f;
        }
        return w;
    }

    // ---------------------------------------------------------------- layer norm

    @Benchmark
    public float tessera_layerNorm(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return Outputs.firstAndRelease(Normalization.layerNorm(s.x, s.weight, s.bias, EPS).data());
        }
    }

    @Benchmark
    public INDArray naive_layerNorm(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return NaiveNorms.layerNorm(s.x, s.weight, s.bias, EPS).data();
        }
    }

    /** Tessera's kernel on its scalar implementation (a JVM without jdk.incubator.vector). */
    @Benchmark
    public float scalar_layerNorm(Nd4jSide s) {
        Simd.setForceScalar(true);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return Outputs.firstAndRelease(Normalization.layerNorm(s.x, s.weight, s.bias, EPS).data());
        } finally {
            Simd.setForceScalar(false);
        }
    }

    @Benchmark
    public INDArray nd4j_layerNorm(Nd4jSide s) {
        return nd4jLayerNorm(s);
    }

    @Benchmark
    public float pytorch_layerNorm(TorchSide s) {
        // PyTorch eager has finished the op when it returns; one element is all the Blackhole needs.
        try (NDManager ignored = s.scope()) {
            return s.layerNorm().getFloat(0, 0);
        }
    }

    @Benchmark
    public INDArray tessera_layerNormFwdBwd(Nd4jSide s) {
        s.zeroGrads();
        Outputs.backwardAndRelease(Normalization.layerNorm(s.x, s.weight, s.bias, EPS), s.g);
        return s.x.grad();
    }

    @Benchmark
    public INDArray naive_layerNormFwdBwd(Nd4jSide s) {
        s.zeroGrads();
        NaiveNorms.layerNorm(s.x, s.weight, s.bias, EPS).backward(s.g);
        return s.x.grad();
    }

    @Benchmark
    public INDArray scalar_layerNormFwdBwd(Nd4jSide s) {
        Simd.setForceScalar(true);
        try {
            s.zeroGrads();
            Outputs.backwardAndRelease(Normalization.layerNorm(s.x, s.weight, s.bias, EPS), s.g);
            return s.x.grad();
        } finally {
            Simd.setForceScalar(false);
        }
    }

    @Benchmark
    public INDArray[] nd4j_layerNormFwdBwd(Nd4jSide s) {
        INDArray y = nd4jLayerNorm(s);
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, s.x.shape());
        INDArray dw = Nd4j.createUninitialized(DataType.FLOAT, s.weight.shape());
        INDArray db = Nd4j.createUninitialized(DataType.FLOAT, s.bias.shape());
        Nd4j.exec(new LayerNormBp(s.x.data(), s.weight.data(), s.bias.data(), s.g, dx, dw, db, true, 1));
        return new INDArray[] {y, dx, dw, db};
    }

    @Benchmark
    public float pytorch_layerNormFwdBwd(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            s.forwardBackward(s::layerNorm);
            return s.x.getGradient().getFloat(0, 0);
        }
    }

    static INDArray nd4jLayerNorm(Nd4jSide s) {
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, s.x.shape());
        Nd4j.exec(new LayerNorm(s.x.data(), s.weight.data(), s.bias.data(), y, true, 1));
        return y;
    }

    // ---------------------------------------------------------------- RMS norm

    @Benchmark
    public float tessera_rmsNorm(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return Outputs.firstAndRelease(Normalization.rmsNorm(s.x, s.weight, EPS).data());
        }
    }

    @Benchmark
    public INDArray naive_rmsNorm(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return NaiveNorms.rmsNorm(s.x, s.weight, EPS).data();
        }
    }

    @Benchmark
    public float pytorch_rmsNorm(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            return s.rmsNorm().getFloat(0, 0);
        }
    }

    @Benchmark
    public INDArray tessera_rmsNormFwdBwd(Nd4jSide s) {
        s.zeroGrads();
        Outputs.backwardAndRelease(Normalization.rmsNorm(s.x, s.weight, EPS), s.g);
        return s.x.grad();
    }

    @Benchmark
    public INDArray naive_rmsNormFwdBwd(Nd4jSide s) {
        s.zeroGrads();
        NaiveNorms.rmsNorm(s.x, s.weight, EPS).backward(s.g);
        return s.x.grad();
    }

    @Benchmark
    public float pytorch_rmsNormFwdBwd(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            s.forwardBackward(s::rmsNorm);
            return s.x.getGradient().getFloat(0, 0);
        }
    }

    // ---------------------------------------------------------------- memory floor

    /** The memory floor of a norm forward: see the class comment. Returns y's first element. */
    @Benchmark
    public float floor_norm(FloorSide s) {
        long rowBytes = (long) s.c * Float.BYTES;
        // memcpy adds the pointers' positions as bytes: byte pointers keep that explicit
        Parallel.forRows(s.n, 4L * s.c, (chunk, from, to) -> Pointer.memcpy(
                new BytePointer(s.y).position(from * rowBytes), new BytePointer(s.x).position(from * rowBytes),
                (to - from) * rowBytes));
        return s.y.get(0);
    }

    /** Warm native (N, C) buffers for {@link #floor_norm}, allocated and touched once. */
    @State(Scope.Benchmark)
    public static class FloorSide {
        FloatPointer x; // (N, C)
        FloatPointer y; // (N, C)
        int n;
        int c;

        @Setup(Level.Trial)
        public void setUp(NormBenchmark b) {
            Backend.init(); // sizes Parallel's pool as the norms' runs have it
            int[] rc = BenchInputs.rowsCols(b.shape);
            n = rc[0];
            c = rc[1];
            x = new FloatPointer(BenchInputs.gaussian(n * c, 1, 1.0));
            y = new FloatPointer((long) n * c);
            Pointer.memset(y, 0, (long) n * c * Float.BYTES);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            x.close();
            y.close();
        }
    }

    // ---------------------------------------------------------------- full outputs, for the unit test

    /** Tessera's layer norm output, whole (the benchmark reads one element and releases it). */
    static INDArray layerNormOutput(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return Normalization.layerNorm(s.x, s.weight, s.bias, EPS).data();
        }
    }

    /** Tessera's RMS norm output, whole. */
    static INDArray rmsNormOutput(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return Normalization.rmsNorm(s.x, s.weight, EPS).data();
        }
    }
}
