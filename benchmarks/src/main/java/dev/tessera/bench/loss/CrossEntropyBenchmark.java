package dev.tessera.bench.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tessera.backend.Backend;
import dev.tessera.bench.BenchInputs;
import dev.tessera.bench.PyTorch;
import dev.tessera.core.GradMode;
import dev.tessera.core.Indexing;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import dev.tessera.training.loss.CrossEntropy;
import dev.tessera.training.loss.CrossEntropyOptions;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
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
 * Mean softmax cross-entropy of (N, V) float32 logits against N integer targets, forward only
 * ({@code *_crossEntropy}, no gradient recording) and forward + backward to the logits'
 * gradient ({@code *_crossEntropyFwdBwd}):
 * <ul>
 *   <li>{@code tessera_*}: {@link CrossEntropy#loss} (one fused op, float64 row sums, probabilities
 *       written into the gradient buffer);</li>
 *   <li>{@code nd4j_*}: ND4J's {@code sparse_softmax_cross_entropy_loss_with_logits} (per-row losses,
 *       averaged in Java) and its {@code _grad} op (gradient of the sum, scaled by 1/N in place);</li>
 *   <li>{@code pytorch_*}: PyTorch eager {@code -log_softmax(logits).gather(targets).mean()} through DJL,
 *       the two kernels {@code F.cross_entropy} itself dispatches to (log_softmax, nll_loss).</li>
 * </ul>
 * The naive composition from Tessera ops, {@code -mean(gatherLast(logSoftmax(logits), targets))}, is
 * kept as {@link #naive} for the unit test only (see there why it is not measured).
 * (2048, 32768) is 2048 tokens over a 32 K vocabulary (Llama's); pass {@code -p shape=2048x50257}
 * for GPT-2's vocabulary, the size of an earlier PyTorch reference measurement.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-Xms3g", "--add-modules", "jdk.incubator.vector"})
public class CrossEntropyBenchmark {

    /** (N, V). */
    @Param({"2048x32768"})
    public String shape;

    /** Tessera and ND4J operands. */
    @State(Scope.Benchmark)
    public static class Nd4jSide {
        Tensor logits; // (N, V)
        INDArray targets; // (N) int32
        INDArray nd4jLabels; // (N) int32, the same ids (ND4J's op wants them as its first input)
        int n;

        @Setup(Level.Trial)
        public void setUp(CrossEntropyBenchmark b) {
            HostMemory.setPooling(true); // outputs from the pool, released after each call (Outputs)
            Backend.init();
            int[] nv = BenchInputs.rowsCols(b.shape);
            n = nv[0];
            logits = Tensor.variable(Nd4j.create(BenchInputs.gaussian(nv[0] * nv[1], 21, 2.0), new long[] {nv[0], nv[1]}, 'c'));
            targets = Nd4j.createFromArray(BenchInputs.ids(nv[0], nv[1], 22));
            nd4jLabels = targets.dup();
        }
    }

    /** PyTorch operands, same values. */
    @State(Scope.Benchmark)
    public static class TorchSide {
        NDManager manager;
        NDArray logits; // (N, V)
        NDArray targets; // (N, 1) int64

        @Setup(Level.Trial)
        public void setUp(CrossEntropyBenchmark b) {
            int[] nv = BenchInputs.rowsCols(b.shape);
            manager = PyTorch.newManager();
            logits = manager.create(BenchInputs.gaussian(nv[0] * nv[1], 21, 2.0), new Shape(nv[0], nv[1]));
            int[] ids = BenchInputs.ids(nv[0], nv[1], 22);
            long[] asLong = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                asLong[i] = ids[i];
            }
            targets = manager.create(asLong, new Shape(nv[0], 1));
            logits.setRequiresGradient(true);
        }

        NDManager scope() {
            return PyTorch.scope(manager, logits, targets);
        }

        NDArray loss() {
            return logits.logSoftmax(-1).gather(targets, 1).mean().neg();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            manager.close();
        }
    }

    // ---------------------------------------------------------------- forward

    @Benchmark
    public double tessera_crossEntropy(Nd4jSide s) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return CrossEntropy.loss(s.logits, s.targets, CrossEntropyOptions.defaults()).loss().item();
        }
    }

    @Benchmark
    public double nd4j_crossEntropy(Nd4jSide s) {
        INDArray rows = Nd4j.createUninitialized(DataType.FLOAT, s.n);
        Nd4j.exec(DynamicCustomOp.builder("sparse_softmax_cross_entropy_loss_with_logits")
                .addInputs(s.nd4jLabels, s.logits.data()).addOutputs(rows).build());
        return rows.meanNumber().doubleValue();
    }

    @Benchmark
    public float pytorch_crossEntropy(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            return s.loss().getFloat();
        }
    }

    // ---------------------------------------------------------------- forward + backward

    @Benchmark
    public INDArray tessera_crossEntropyFwdBwd(Nd4jSide s) {
        s.logits.freeGrad(); // the previous call's gradient (PyTorch's twin accumulates into its kept .grad)
        CrossEntropy.loss(s.logits, s.targets, CrossEntropyOptions.defaults()).loss().backwardAndFree();
        return s.logits.grad();
    }

    /** The mean loss and its gradient (the op gives the gradient of the sum; scaled by 1/N). */
    @Benchmark
    public INDArray nd4j_crossEntropyFwdBwd(Nd4jSide s) {
        nd4j_crossEntropy(s);
        INDArray grad = Nd4j.createUninitialized(DataType.FLOAT, s.logits.shape());
        Nd4j.exec(DynamicCustomOp.builder("sparse_softmax_cross_entropy_loss_with_logits_grad")
                .addInputs(s.nd4jLabels, s.logits.data()).addOutputs(grad).build());
        return grad.muli(1.0 / s.n);
    }

    @Benchmark
    public float pytorch_crossEntropyFwdBwd(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            try (GradientCollector gc = s.manager.getEngine().newGradientCollector()) {
                gc.backward(s.loss());
            }
            return s.logits.getGradient().getFloat(0, 0);
        }
    }

    /**
     * The composition a user would write from Tessera ops; the unit test checks the sides against
     * it. Not a JMH side: at (2048, 32768) it took 21 s per forward in a loaded smoke run (a dozen
     * ND4J passes and (N, V) broadcasts over 268 MB, plus a per-row Java gather), which alone
     * would exceed the quick suite's budget.
     */
    static Tensor naive(Nd4jSide s) {
        return Indexing.gatherLast(s.logits.logSoftmax(1), s.targets).mean().neg();
    }
}
