package dev.tessera.bench.embedding;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.training.GradientCollector;
import dev.tessera.backend.Backend;
import dev.tessera.bench.BenchInputs;
import dev.tessera.bench.Outputs;
import dev.tessera.bench.PyTorch;
import dev.tessera.core.Indexing;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
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
 * Token-embedding lookup plus its backward: N ids pick rows of a (V, C) float32 table, then a
 * fixed (N, C) upstream gradient is scatter-added into the table's (V, C) gradient (repeated ids
 * accumulate). Every side does both halves, since Tessera's and PyTorch's backward are reachable
 * only through their autograd; the scatter is the larger part.
 * <ul>
 *   <li>{@code tessera_*}: {@link Indexing#embedding} and its backward, with the pool on for the
 *       benchmark's thread: the lookup and the table gradient take warm blocks from Tessera's pool
 *       and are released after each call ({@link Outputs}, {@code freeGrad}), as PyTorch's allocator
 *       hands a freed tensor's memory to the next one;</li>
 *   <li>{@code naive_*}: plain loops over float arrays ({@link NaiveEmbedding}), including the copies
 *       in and out of ND4J's buffers that a Java-side reference needs;</li>
 *   <li>{@code nd4j_*}: ND4J's {@code pullRows} and its {@code scatter_add} op into a zeroed table;</li>
 *   <li>{@code pytorch_*}: PyTorch's {@code embedding} and its backward through DJL (the gradient
 *       accumulates into the table's existing {@code .grad}, as in a PyTorch loop that does not
 *       set it to None);</li>
 *   <li>{@code floor_*}: no embedding at all, only the memory traffic any implementation must do,
 *       by libc's {@code memcpy}/{@code memset} on warm pooled buffers: read N rows of the table
 *       and write the (N, C) lookup, write the whole (V, C) gradient, and read the (N, C) upstream
 *       gradient into it (4 MB read, 12 MB written at the default shape). Tessera against it is the
 *       fraction of the machine's memory speed the kernel reaches.</li>
 * </ul>
 * Shape {@code NxVxC}: 2048 tokens (B 8 × T 256) into the issue-5 GPT's 8192 × 256 table.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Xms2g", "--add-modules", "jdk.incubator.vector"})
public class EmbeddingBackwardBenchmark {

    /** N tokens × V rows × C channels. */
    @Param({"2048x8192x256"})
    public String shape;

    /** {N, V, C} of a shape parameter. */
    static int[] dims(String shape) {
        String[] p = shape.split("x");
        if (p.length != 3) {
            throw new IllegalArgumentException("shape must be NxVxC, e.g. 2048x8192x256, but was " + shape);
        }
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
    }

    /** Tessera, ND4J and naive operands. */
    @State(Scope.Benchmark)
    public static class Nd4jSide {
        Tensor table; // (V, C)
        INDArray ids; // (N) int32
        int[] idArray; // (N)
        INDArray g; // (N, C) upstream gradient
        int vocab;
        int c;

        @Setup(Level.Trial)
        public void setUp(EmbeddingBackwardBenchmark b) {
            HostMemory.setPooling(true); // outputs from the pool, released after each call (Outputs)
            Backend.init();
            int[] d = dims(b.shape);
            vocab = d[1];
            c = d[2];
            table = Tensor.variable(Nd4j.create(BenchInputs.gaussian(d[1] * d[2], 31, 0.02), new long[] {d[1], d[2]}, 'c'));
            idArray = BenchInputs.ids(d[0], d[1], 32);
            ids = Nd4j.createFromArray(idArray);
            g = Nd4j.create(BenchInputs.gaussian(d[0] * d[2], 33, 1.0), new long[] {d[0], d[2]}, 'c');
        }
    }

    /** PyTorch operands, same values. */
    @State(Scope.Benchmark)
    public static class TorchSide {
        NDManager manager;
        NDArray table; // (V, C)
        NDArray ids; // (N) int64
        NDArray g; // (N, C)

        @Setup(Level.Trial)
        public void setUp(EmbeddingBackwardBenchmark b) {
            int[] d = dims(b.shape);
            manager = PyTorch.newManager();
            table = manager.create(BenchInputs.gaussian(d[1] * d[2], 31, 0.02), new Shape(d[1], d[2]));
            int[] id = BenchInputs.ids(d[0], d[1], 32);
            long[] asLong = new long[id.length];
            for (int i = 0; i < id.length; i++) {
                asLong[i] = id[i];
            }
            ids = manager.create(asLong);
            g = manager.create(BenchInputs.gaussian(d[0] * d[2], 33, 1.0), new Shape(d[0], d[2]));
            table.setRequiresGradient(true);
        }

        NDManager scope() {
            return PyTorch.scope(manager, table, ids, g);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            manager.close();
        }
    }

    @Benchmark
    public INDArray tessera_embeddingFwdBwd(Nd4jSide s) {
        s.table.freeGrad(); // the previous call's gradient (PyTorch's twin accumulates into its kept .grad)
        Outputs.backwardAndRelease(Indexing.embedding(s.table, s.ids), s.g);
        return s.table.grad();
    }

    /** Returns {lookup (N, C), table gradient (V, C)}. */
    @Benchmark
    public float[][] naive_embeddingFwdBwd(Nd4jSide s) {
        float[] out = NaiveEmbedding.lookup(s.table.data().data().asFloat(), s.c, s.idArray);
        float[] grad = NaiveEmbedding.scatterAdd(s.g.data().asFloat(), s.c, s.idArray, s.vocab);
        return new float[][] {out, grad};
    }

    /** Returns {lookup (N, C), table gradient (V, C)}. */
    @Benchmark
    public INDArray[] nd4j_embeddingFwdBwd(Nd4jSide s) {
        INDArray out = Nd4j.pullRows(s.table.data(), 1, s.idArray);
        INDArray grad = Nd4j.zeros(DataType.FLOAT, s.vocab, s.c);
        // The output is the input table itself: scatter_add then adds in place (given no output, the
        // op would write a new array and leave the zeros untouched).
        Nd4j.exec(DynamicCustomOp.builder("scatter_add").addInputs(grad, s.ids, s.g).addOutputs(grad).build());
        return new INDArray[] {out, grad};
    }

    /** The memory floor: see the class comment. Returns the gradient buffer's first element. */
    @Benchmark
    public float floor_embeddingFwdBwd(FloorSide s) {
        long rowBytes = (long) s.c * Float.BYTES;
        long rows = Math.min(s.n, s.vocab); // N at the benchmark's shape; min keeps a tiny test shape in bounds
        Pointer.memcpy(s.out, s.table, rows * rowBytes); // the lookup: N rows read, (N, C) written
        Pointer.memset(s.grad, 0, (long) s.vocab * rowBytes); // the (V, C) gradient written once
        Pointer.memcpy(s.grad, s.g, rows * rowBytes); // the upstream gradient read into it
        return s.grad.get(0);
    }

    /** Warm native buffers for {@link #floor_embeddingFwdBwd}, allocated and touched once. */
    @State(Scope.Benchmark)
    public static class FloorSide {
        FloatPointer table; // (V, C)
        FloatPointer out; // (N, C)
        FloatPointer grad; // (V, C)
        FloatPointer g; // (N, C)
        int n;
        int vocab;
        int c;

        @Setup(Level.Trial)
        public void setUp(EmbeddingBackwardBenchmark b) {
            int[] d = dims(b.shape);
            n = d[0];
            vocab = d[1];
            c = d[2];
            table = new FloatPointer(BenchInputs.gaussian(vocab * c, 31, 0.02));
            out = new FloatPointer((long) n * c);
            grad = new FloatPointer((long) vocab * c);
            g = new FloatPointer(BenchInputs.gaussian(n * c, 33, 1.0));
            Pointer.memset(out, 0, (long) n * c * Float.BYTES);
            Pointer.memset(grad, 0, (long) vocab * c * Float.BYTES);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            table.close();
            out.close();
            grad.close();
            g.close();
        }
    }

    @Benchmark
    public float pytorch_embeddingFwdBwd(TorchSide s) {
        try (NDManager ignored = s.scope()) {
            try (GradientCollector gc = s.manager.getEngine().newGradientCollector()) {
                NDArray y = s.ids.getNDArrayInternal().embedding(s.ids, s.table, SparseFormat.DENSE).singletonOrThrow();
                PyTorch.backward(y, s.g);
            }
            return s.table.getGradient().getFloat(0, 0);
        }
    }
}
