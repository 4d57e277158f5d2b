package dev.tessera.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.tessera.backend.Backend;
import dev.tessera.backend.Gemm;
import dev.tessera.host.HostMemory;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Float32 square matrix product C = A B, (n, n) x (n, n), each side allocating its result as a
 * user's call would: Tessera's default set-up ({@link Gemm#matmul}: oneDNN's or MKL's sgemm called
 * directly, as {@link Backend#summary()} logs), ND4J's {@code mmul} on the same arrays, and
 * PyTorch's {@code matmul} through DJL.
 *
 * <p>Outputs: PyTorch's twin drops its result after reading it and its caching allocator hands the
 * same warm memory to the next product at once. Tessera's side does the equivalent: its thread has
 * the pool on ({@link HostMemory#setPooling}), so {@link Gemm#matmul} takes its result from
 * Tessera's pool, and {@link Outputs#firstAndRelease} hands it back after reading it, as the other
 * kernel rows do ({@code Trainer} runs its steps the same way). {@code nd4j_sgemm} gets a fresh ND4J
 * array per call and closes it. {@code reused_sgemm} is Tessera writing into one output allocated
 * at set-up ({@link Gemm#matmulInto}), the product alone. The report turns time per op into
 * GFLOP/s with {@link #flopsPerOp}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-modules", "jdk.incubator.vector"})
public class SgemmBenchmark {

    @Param({"256", "512", "1024", "2048"})
    public int n;

    /** 2n³ floating-point operations per product (the report's GFLOP/s). */
    public static double flopsPerOp(Map<String, String> params) {
        double size = Double.parseDouble(params.get("n"));
        return 2 * size * size * size;
    }

    /** The same pseudo-random (n, n) operands for every side: A then B, row-major. */
    static float[][] operands(int n) {
        Random rnd = new Random(1234);
        float[] va = new float[n * n];
        float[] vb = new float[n * n];
        for (int i = 0; i < va.length; i++) {
            va[i] = rnd.nextFloat() - 0.5f;
            vb[i] = rnd.nextFloat() - 0.5f;
        }
        return new float[][] {va, vb};
    }

    /**
     * ND4J operands. Separate states per side, so that each JMH fork loads only the native
     * libraries its side uses (libtorch's OpenMP pool would otherwise sit in Tessera's process).
     */
    @State(Scope.Benchmark)
    public static class Nd4jOperands {
        INDArray a; // (n, n)
        INDArray b; // (n, n)
        INDArray out; // (n, n), reused_sgemm's output

        @Setup(Level.Trial)
        public void setUp(SgemmBenchmark bench) {
            HostMemory.setPooling(true); // outputs from the pool, released after each call (Outputs)
            Backend.init();
            float[][] v = operands(bench.n);
            a = Nd4j.create(v[0], new long[] {bench.n, bench.n}, 'c');
            b = Nd4j.create(v[1], new long[] {bench.n, bench.n}, 'c');
            out = Nd4j.zeros(DataType.FLOAT, bench.n, bench.n);
        }
    }

    /** PyTorch operands, same values. */
    @State(Scope.Benchmark)
    public static class TorchOperands {
        NDManager manager;
        NDArray a; // (n, n)
        NDArray b; // (n, n)

        @Setup(Level.Trial)
        public void setUp(SgemmBenchmark bench) {
            float[][] v = operands(bench.n);
            manager = PyTorch.newManager();
            a = manager.create(v[0], new Shape(bench.n, bench.n));
            b = manager.create(v[1], new Shape(bench.n, bench.n));
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            manager.close();
        }
    }

    @Benchmark
    public float tessera_sgemm(Nd4jOperands o) {
        return Outputs.firstAndRelease(Gemm.matmul(o.a, o.b, false, false));
    }

    @Benchmark
    public void reused_sgemm(Nd4jOperands o, Blackhole bh) {
        bh.consume(Gemm.matmulInto(o.a, o.b, false, false, o.out, 1.0, 0.0));
    }

    @Benchmark
    public void nd4j_sgemm(Nd4jOperands o, Blackhole bh) {
        INDArray c = o.a.mmul(o.b);
        bh.consume(c);
        c.close();
    }

    @Benchmark
    public void pytorch_sgemm(TorchOperands o, Blackhole bh) {
        NDArray c = o.a.matMul(o.b);
        bh.consume(c);
        c.close();
    }
}
