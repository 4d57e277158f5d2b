package dev.tessera.bench;

import dev.tessera.backend.Backend;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.Pointer;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * JMH profiler for benchmarks where memory is the point (tiled vs materialising attention):
 * the peak resident set size of the benchmark JVM during each measured iteration, above what it
 * was when the iteration started, i.e. the memory the benchmarked code added at its worst moment.
 * Run with {@code -prof dev.tessera.bench.OffHeapPeakProfiler} (run.sh: {@code --prof offheap}).
 *
 * <p>Why RSS and not a counter: ND4J allocates its buffers through libnd4j's own allocator and
 * PyTorch through c10, so neither shows up in JavaCPP's {@code Pointer.totalBytes()}; the RSS
 * ({@code Pointer.physicalBytes()}, read from {@code /proc/self/statm}) sees every side alike.
 * A daemon thread samples it every millisecond; benchmarks can add exact samples at their own
 * high-water points with {@link #sample()}. Reported per iteration, aggregated by maximum:
 * {@code ·offheap.peak.delta} (bytes above the iteration's start) and {@code ·offheap.peak.rss}.
 * Heap churn is part of RSS too; the JVM's heap is sized before measurement ({@code -Xms} equal
 * to {@code -Xmx} keeps it from growing mid-run) so that the delta is dominated by native memory.
 */
public final class OffHeapPeakProfiler implements InternalProfiler {

    private static final AtomicLong PEAK = new AtomicLong();
    private volatile boolean sampling;
    private Thread sampler;
    private long start;

    /** Records the current RSS into the running peak; cheap (one native call), safe from any thread. */
    public static void sample() {
        long now = Pointer.physicalBytes();
        PEAK.accumulateAndGet(now, Math::max);
    }

    @Override
    public String getDescription() {
        return "peak resident memory (native allocations included) per iteration, sampled every 1 ms";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        // Pick ND4J's native build before JavaCPP's Loader first loads (Pointer does): a Loader that
        // starts without Tessera's platform.extension loads the first binary it finds, e.g. the
        // AVX-512 one on an AVX2-only CPU (SIGILL at start-up).
        Backend.init();
        start = Pointer.physicalBytes();
        PEAK.set(start);
        sampling = true;
        sampler = new Thread(() -> {
            while (sampling) {
                sample();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "offheap-peak-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    @Override
    public List<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
            IterationResult result) {
        sampling = false;
        try {
            sampler.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
        long peak = PEAK.get();
        return List.of(
                new ScalarResult("offheap.peak.delta", peak - start, "bytes", AggregationPolicy.MAX),
                new ScalarResult("offheap.peak.rss", peak, "bytes", AggregationPolicy.MAX));
    }
}
