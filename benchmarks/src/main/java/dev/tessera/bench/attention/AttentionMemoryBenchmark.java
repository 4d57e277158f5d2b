package dev.tessera.bench.attention;

import dev.tessera.attention.AttentionImpl;
import dev.tessera.attention.AttentionOptions;
import dev.tessera.attention.ScaledDotProductAttention;
import dev.tessera.backend.Backend;
import dev.tessera.bench.OffHeapPeakProfiler;
import dev.tessera.core.Tensor;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Peak memory of causal attention forward + backward, (B=1, H=8, T, D=64) float32: the tiled
 * FlashAttention-2-style op ({@code tessera_}) against the materialising fused op
 * ({@code materialising_}), which holds (H, T, T) probabilities and score gradients. Run with the
 * off-heap peak profiler ({@code benchmarks/run.sh --quick --prof offheap AttentionMemory}) and
 * read {@code ·offheap.peak.delta}; time per op is reported too. Before each invocation the
 * previous one's arrays are collected, so that each measures its own peak and not its
 * predecessor's garbage.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Xms6g", "--add-modules", "jdk.incubator.vector"})
public class AttentionMemoryBenchmark {

    @Param({"1024", "4096"})
    public int t;

    Tensor q; // (1, 8, T, 64)
    Tensor k;
    Tensor v;
    INDArray g;

    @Setup(Level.Trial)
    public void setUp() {
        Backend.init();
        int[] s = {1, 8, t, 64};
        float[][] v4 = AttentionInputs.values(s);
        long[] sh = {1, 8, t, 64};
        q = Tensor.variable(Nd4j.create(v4[0], sh, 'c'));
        k = Tensor.variable(Nd4j.create(v4[1], sh, 'c'));
        v = Tensor.variable(Nd4j.create(v4[2], sh, 'c'));
        g = Nd4j.create(v4[3], sh, 'c');
    }

    /** Frees the previous invocation's native buffers (ND4J releases them when their Java objects are collected). */
    @Setup(Level.Invocation)
    public void collect() throws InterruptedException {
        q.zeroGrad();
        k.zeroGrad();
        v.zeroGrad();
        System.gc();
        Thread.sleep(200);
    }

    private void run(AttentionImpl impl, Blackhole bh) {
        Tensor y = ScaledDotProductAttention.attention(q, k, v, AttentionOptions.causalMask(), impl);
        OffHeapPeakProfiler.sample();
        y.backward(g);
        OffHeapPeakProfiler.sample();
        bh.consume(q.grad());
    }

    @Benchmark
    public void tessera_forwardBackward(Blackhole bh) {
        run(AttentionImpl.TILED, bh);
    }

    @Benchmark
    public void materialising_forwardBackward(Blackhole bh) {
        run(AttentionImpl.FUSED, bh);
    }
}
