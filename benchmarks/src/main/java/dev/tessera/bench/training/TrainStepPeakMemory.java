package dev.tessera.bench.training;

import static dev.tessera.bench.training.GptShapes.BATCH;
import static dev.tessera.bench.training.GptShapes.SEQ;

import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.backend.Backend;
import dev.tessera.backend.StepWorkspace;
import dev.tessera.bench.PyTorch;
import dev.tessera.core.Rng;
import dev.tessera.host.HostMemory;
import dev.tessera.nn.Parameter;
import dev.tessera.training.loss.CausalLmLoss;
import dev.tessera.training.loss.CrossEntropyOptions;
import dev.tessera.training.loss.LossResult;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Peak resident memory of the issue-5 GPT training step ({@link GptShapes}: 4 layers, 4 heads,
 * 256 wide, vocabulary 8192, B 8 × T 256, AdamW), one side per JVM so the two never share a
 * process: Tessera's step exactly as {@link GptTrainStepBenchmark} runs it, or PyTorch's
 * ({@link TorchGpt}). Issue 5 asks Tessera to use no more than PyTorch.
 *
 * <p>The figure is the kernel's high-water mark of the whole process ({@code VmHWM} in
 * {@code /proc/self/status}): Java heap, ND4J's and libtorch's native buffers, code, everything
 * a user's machine must hold. Both sides run in a JVM, so give both the same heap options: the
 * Java heap counts on both sides, and Tessera's fused kernels keep their buffers on it. Run it
 * through {@code benchmarks/train-memory.sh}, or by hand:
 * <pre>
 * java -Xmx256m -cp ... dev.tessera.bench.training.TrainStepPeakMemory TESSERA 5
 * java -Xmx256m -cp ... dev.tessera.bench.training.TrainStepPeakMemory TESSERA_WORKSPACE 5
 * java -Xmx256m -cp ... dev.tessera.bench.training.TrainStepPeakMemory TESSERA_PLAIN 5
 * java -Xmx256m -cp ... dev.tessera.bench.training.TrainStepPeakMemory PYTORCH 5
 * </pre>
 * Prints one line: side, steps, peak RSS, RSS before the model was built, and the last loss
 * (so a step that silently did nothing would show). A second line, starting with the side and
 * {@code atPeak}, splits the resident memory at the moment it was highest ({@link MemorySampler}:
 * RSS sampled every millisecond on a second thread during the steps): Tessera's pool (bytes in
 * use and idle), the attention's score buffers (borrowed and free), the Java heap (used and
 * committed), the heap's resident bytes after the steps (the collector commits more than it
 * touches), the JVM's other committed memory (metaspace, code cache) and the rest (native
 * libraries, ND4J's own arrays, malloc's free lists), each in GB; then, after a {@code |}, the
 * pool's high-water marks of bytes in use and of bytes held (in use plus idle, sampled), its
 * reuse counts, the number of garbage collections and ms per step after the first (a timing for
 * A/B checks in one run, not a benchmark figure).
 */
public final class TrainStepPeakMemory {
    private TrainStepPeakMemory() {}

    /**
     * The sides that can be measured: Tessera as the library runs a step by default
     * ({@link StepMemory#FREE}), with the forward pass in the reused {@link StepWorkspace}
     * ({@link StepMemory#WORKSPACE}), without deterministic release ({@link StepMemory#PLAIN}),
     * and PyTorch.
     */
    enum Side {
        TESSERA(StepMemory.FREE), TESSERA_WORKSPACE(StepMemory.WORKSPACE), TESSERA_PLAIN(StepMemory.PLAIN), PYTORCH(null);

        final StepMemory memory;

        Side(StepMemory memory) {
            this.memory = memory;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: TrainStepPeakMemory TESSERA|TESSERA_WORKSPACE|TESSERA_PLAIN|PYTORCH [steps, default 5]");
            System.exit(2);
        }
        Side side;
        try {
            side = Side.valueOf(args[0].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("side must be TESSERA, TESSERA_WORKSPACE, TESSERA_PLAIN or PYTORCH but was " + args[0], e);
        }
        int steps = args.length == 2 ? Integer.parseInt(args[1]) : 5;
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1 but was " + steps);
        }
        int[] ids = GptShapes.ids(BATCH * SEQ, 7);
        double loss;
        long before;
        String split = null;
        if (side != Side.PYTORCH) {
            Backend.init();
            before = status("VmRSS");
            GptModel model = new GptModel(new GptConfig(GptShapes.VOCAB, GptShapes.CONTEXT, GptShapes.EMBD,
                    GptShapes.LAYERS, GptShapes.HEADS, 0.0, 1e-5), new Rng(1), DataType.FLOAT);
            AdamW optimizer = new AdamW(model.namedParameters(), AdamWConfig.lm(3e-4));
            INDArray batch = Nd4j.createFromArray(ids).reshape('c', BATCH, SEQ); // (B, T)
            loss = Double.NaN;
            MemorySampler sampler = MemorySampler.start();
            long firstEnd = 0;
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                loss = step(model, optimizer, batch, side.memory);
                if (s == 0) {
                    firstEnd = System.nanoTime();
                }
            }
            long end = System.nanoTime();
            split = atPeakLine(side, sampler, end - firstEnd, end - t0, steps);
        } else {
            // Load libtorch first (creating a manager does), so "before" covers the same ground as
            // Tessera's: runtime and native libraries loaded, no model yet.
            PyTorch.newManager().close();
            before = status("VmRSS");
            try (TorchGpt model = new TorchGpt(ids)) {
                loss = Double.NaN;
                MemorySampler sampler = MemorySampler.start();
                long firstEnd = 0;
                long t0 = System.nanoTime();
                for (int s = 0; s < steps; s++) {
                    loss = model.trainStep();
                    if (s == 0) {
                        firstEnd = System.nanoTime();
                    }
                }
                long end = System.nanoTime();
                split = atPeakLine(side, sampler, end - firstEnd, end - t0, steps);
            }
        }
        long peak = status("VmHWM");
        System.out.printf(Locale.ROOT, "%s steps=%d peakRSS=%.3f GB rssBeforeModel=%.3f GB lastLoss=%.4f%n",
                side, steps, peak / 1e9, before / 1e9, loss);
        if (split != null) {
            System.out.println(split);
        }
        if (!Double.isFinite(loss)) {
            throw new IllegalStateException("the training step produced a non-finite loss " + loss);
        }
    }

    /**
     * The second output line: the split of the sampled peak, the pool's high-water mark and reuse
     * counts, the young and old collections during the steps, and ms per step after the first (all
     * steps' mean when there is only one).
     */
    private static String atPeakLine(Side side, MemorySampler sampler, long nanosAfterFirst, long nanosAll,
            int steps) throws IOException {
        MemorySampler.Sample p = sampler.stop();
        long poolFootprintPeak = sampler.maxPoolFootprint();
        long heapResident = MemorySampler.javaHeapResident();
        long[] counts = HostMemory.poolCounts();
        double msPerStep = steps > 1 ? nanosAfterFirst / 1e6 / (steps - 1) : nanosAll / 1e6;
        long collections = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            collections += Math.max(0, gc.getCollectionCount());
        }
        return String.format(Locale.ROOT,
                "%s atPeak rss=%.3f GB poolInUse=%.3f GB poolIdle=%.3f GB scoreBuffers=%.3f+%.3f GB"
                        + " heapUsed=%.3f GB heapCommitted=%.3f GB heapResidentAtEnd=%s nonHeap=%.3f GB"
                        + " rest=%.3f GB | poolInUsePeak=%.3f GB poolFootprintPeak=%.3f GB poolReused=%d poolMalloced=%d gcs=%d msPerStep=%.1f",
                side, p.rss() / 1e9, p.poolInUse() / 1e9, p.poolIdle() / 1e9, p.scoreInUse() / 1e9,
                p.scoreFree() / 1e9, p.heapUsed() / 1e9, p.heapCommitted() / 1e9,
                heapResident >= 0 ? String.format(Locale.ROOT, "%.3f GB", heapResident / 1e9) : "n/a",
                p.nonHeapCommitted() / 1e9, p.rest(heapResident >= 0 ? heapResident : p.heapCommitted()) / 1e9,
                HostMemory.pooledBytesInUsePeak() / 1e9, poolFootprintPeak / 1e9, counts[0], counts[1], collections,
                msPerStep);
    }

    /** One step, its memory handled as {@code memory} says. */
    static double step(GptModel model, AdamW optimizer, INDArray ids, StepMemory memory) {
        HostMemory.setPooling(memory != StepMemory.PLAIN); // as Trainer: the pool for steps that free
        if (memory == StepMemory.PLAIN) {
            LossResult r = CausalLmLoss.loss(model.forward(ids), ids, CrossEntropyOptions.defaults());
            r.loss().backward();
            optimizer.step();
            optimizer.zeroGrad();
            return r.loss().item();
        }
        if (memory == StepMemory.FREE) {
            LossResult r = CausalLmLoss.loss(model.forward(ids), ids, CrossEntropyOptions.defaults());
            return backwardFreeAndUpdate(model, optimizer, r);
        }
        try (StepWorkspace ws = StepWorkspace.open()) {
            LossResult r = CausalLmLoss.loss(model.forward(ids), ids, CrossEntropyOptions.defaults());
            return StepWorkspace.outside(() -> backwardFreeAndUpdate(model, optimizer, r));
        }
    }

    /** Backward freeing the graph, AdamW, the gradients freed: what {@code Trainer} does by default. */
    private static double backwardFreeAndUpdate(GptModel model, AdamW optimizer, LossResult r) {
        double loss = r.loss().item();
        r.loss().backwardAndFree();
        optimizer.step();
        model.parameters().forEach(Parameter::freeGrad);
        optimizer.zeroGrad();
        return loss;
    }

    /** A {@code /proc/self/status} size field in bytes (Linux only). */
    static long status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                String[] p = line.substring(field.length() + 1).trim().split("\\s+");
                if (p.length != 2 || !p[1].equals("kB")) {
                    throw new IllegalStateException("unexpected /proc/self/status line: " + line);
                }
                return Long.parseLong(p[0]) * 1024;
            }
        }
        throw new IllegalStateException("/proc/self/status has no " + field + " line (not Linux?)");
    }
}
