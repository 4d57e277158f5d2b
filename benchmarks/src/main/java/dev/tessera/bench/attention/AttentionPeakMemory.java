package dev.tessera.bench.attention;

import dev.tessera.attention.AttentionImpl;
import dev.tessera.attention.AttentionOptions;
import dev.tessera.attention.ScaledDotProductAttention;
import dev.tessera.backend.Backend;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Peak resident memory above the baseline of ONE causal attention forward + backward,
 * (B=1, H=8, T, D=64) float32, in a fresh JVM: the companion of {@code AttentionMemoryBenchmark}
 * for first-call peaks, which JMH's warmed-up iterations cannot show.
 *
 * <p>ND4J frees native memory only when the owning Java objects are collected, so RSS also holds
 * already-dead tiles until a GC. Run it under a physical-memory cap
 * ({@code -Dorg.bytedeco.javacpp.maxPhysicalBytes}, at which JavaCPP forces collections) to see
 * the live working set: the tiled op then completes in a small budget while the materialising op
 * needs its (T, T) probabilities. Usage (prints one line):
 * <pre>
 * java -Xmx128m -Dorg.bytedeco.javacpp.maxPhysicalBytes=300m -cp ... \
 *     dev.tessera.bench.attention.AttentionPeakMemory TILED 4096
 * </pre>
 */
public final class AttentionPeakMemory {
    private AttentionPeakMemory() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: AttentionPeakMemory FUSED|TILED|PORTABLE T");
            System.exit(2);
        }
        AttentionImpl impl = AttentionImpl.valueOf(args[0]);
        int t = Integer.parseInt(args[1]);
        Backend.init();
        Rng rng = new Rng(1);
        Tensor q = Tensor.variable(rng.normal(DataType.FLOAT, 0, 1, 1, 8, t, 64)); // (B, H, T, D)
        Tensor k = Tensor.variable(rng.normal(DataType.FLOAT, 0, 1, 1, 8, t, 64));
        Tensor v = Tensor.variable(rng.normal(DataType.FLOAT, 0, 1, 1, 8, t, 64));
        System.gc();
        Thread.sleep(200);
        long base = Pointer.physicalBytes();
        AtomicLong peak = new AtomicLong(base);
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(Pointer.physicalBytes(), Math::max);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        Tensor y = ScaledDotProductAttention.attention(q, k, v, AttentionOptions.causalMask(), impl);
        peak.accumulateAndGet(Pointer.physicalBytes(), Math::max);
        y.sum().backward();
        peak.accumulateAndGet(Pointer.physicalBytes(), Math::max);
        sampler.interrupt();
        System.out.printf("%s T=%d peak RSS above baseline: %.1f MB%n", impl, t, (peak.get() - base) / 1e6);
    }
}
