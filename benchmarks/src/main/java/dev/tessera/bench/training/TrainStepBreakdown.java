package dev.tessera.bench.training;

import static dev.tessera.bench.training.GptShapes.BATCH;
import static dev.tessera.bench.training.GptShapes.SEQ;

import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.backend.Backend;
import dev.tessera.core.Rng;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where the time of Tessera's GPT training step goes ({@link GptShapes} model, B 8 × T 256,
 * forward + loss + backward + AdamW, exactly the step {@link GptTrainStepBenchmark} times), split
 * into {@link StepCategory GEMM, allocation, ND4J ops, Java kernels and other}. Steps run with
 * their forward pass in the reused {@code StepWorkspace}; {@code --plain} runs them with ordinary
 * allocation (the library's default, and the "before" of the allocation work).
 *
 * <p>How: after warm-up steps, the measured steps run under a JDK Flight Recorder recording that
 * samples the stepping thread every {@value #SAMPLE_MS} ms, in Java ({@code jdk.ExecutionSample})
 * and in native code ({@code jdk.NativeMethodSample}, which names the Java method that called into
 * MKL or ND4J). Each sample's stack is classified by {@link StepCategory#of}; the share of samples
 * times the measured wall time per step gives milliseconds per category. MKL's and ND4J's own
 * worker threads are not sampled: the split is of the stepping thread's wall time, which is the
 * step's time. Sampling costs well under 1% at this period.
 *
 * <pre>
 * java -cp ... dev.tessera.bench.training.TrainStepBreakdown [--free|--workspace|--plain] [measured steps, default 20] [warm-up steps, default 5]
 * </pre>
 * Prints the machine's load average before and after, the step time, one line per category and
 * the most frequent innermost frames and Tessera callers ({@link StepCategory#tesseraCaller}) of each
 * category, so that allocation and ND4J-op time can be traced to the op that caused it.
 */
public final class TrainStepBreakdown {

    static final int SAMPLE_MS = 5;

    private TrainStepBreakdown() {}

    public static void main(String[] args) throws IOException {
        StepMemory memory = args.length > 0 && args[0].startsWith("--") ? StepMemory.parse(args[0].substring(2)) : StepMemory.FREE;
        int first = args.length > 0 && args[0].startsWith("--") ? 1 : 0;
        if (args.length - first > 2) {
            System.err.println("usage: TrainStepBreakdown [--free|--workspace|--plain] [measured steps, default 20] [warm-up steps, default 5]");
            System.exit(2);
        }
        int steps = args.length > first ? Integer.parseInt(args[first]) : 20;
        int warmup = args.length > first + 1 ? Integer.parseInt(args[first + 1]) : 5;
        if (steps < 1 || warmup < 0) {
            throw new IllegalArgumentException("measured steps must be >= 1 and warm-up steps >= 0, got "
                    + steps + " and " + warmup);
        }
        Backend.init();
        System.out.println(Backend.summary());
        System.out.println("load average before: " + loadAverage());
        GptModel model = new GptModel(new GptConfig(GptShapes.VOCAB, GptShapes.CONTEXT, GptShapes.EMBD,
                GptShapes.LAYERS, GptShapes.HEADS, 0.0, 1e-5), new Rng(1), DataType.FLOAT);
        AdamW optimizer = new AdamW(model.namedParameters(), AdamWConfig.lm(3e-4));
        INDArray ids = Nd4j.createFromArray(GptShapes.ids(BATCH * SEQ, 7)).reshape('c', BATCH, SEQ); // (B, T)
        for (int s = 0; s < warmup; s++) {
            step(model, optimizer, ids, memory);
        }

        Path jfr = Files.createTempFile("tessera-train-step", ".jfr");
        double loss;
        long nanos;
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(SAMPLE_MS));
            recording.enable("jdk.NativeMethodSample").withPeriod(Duration.ofMillis(SAMPLE_MS));
            recording.start();
            long t0 = System.nanoTime();
            loss = Double.NaN;
            for (int s = 0; s < steps; s++) {
                loss = step(model, optimizer, ids, memory);
            }
            nanos = System.nanoTime() - t0;
            recording.stop();
            recording.dump(jfr);
        }
        if (!Double.isFinite(loss)) {
            throw new IllegalStateException("the training step produced a non-finite loss " + loss);
        }
        Map<StepCategory, Map<String, Integer>> leaves = new EnumMap<>(StepCategory.class);
        Map<StepCategory, Map<String, Integer>> callers = new EnumMap<>(StepCategory.class);
        Map<StepCategory, Integer> counts = classify(jfr, Thread.currentThread().getName(), leaves, callers);
        Files.deleteIfExists(jfr);
        double msPerStep = nanos / 1e6 / steps;
        System.out.printf(Locale.ROOT, "memory=%s steps=%d warmup=%d ms/step=%.1f tokens/s=%.0f lastLoss=%.4f%n",
                memory.name().toLowerCase(Locale.ROOT), steps, warmup, msPerStep,
                BATCH * SEQ / (msPerStep / 1e3), loss);
        System.out.print(format(counts, msPerStep));
        System.out.print(top("most frequent innermost frames", leaves, 4));
        System.out.print(top("most frequent Tessera callers", callers, 6));
        System.out.println("load average after: " + loadAverage());
    }

    private static double step(GptModel model, AdamW optimizer, INDArray ids, StepMemory memory) {
        return TrainStepPeakMemory.step(model, optimizer, ids, memory);
    }

    /**
     * Sample counts per category, for the thread of that name only.
     *
     * @param leaves filled with, per category, how many samples had each innermost frame
     * @param callers filled with, per category, how many samples had each {@link StepCategory#tesseraCaller}
     */
    static Map<StepCategory, Integer> classify(Path jfr, String threadName,
            Map<StepCategory, Map<String, Integer>> leaves, Map<StepCategory, Map<String, Integer>> callers) throws IOException {
        Map<StepCategory, Integer> counts = new EnumMap<>(StepCategory.class);
        for (StepCategory c : StepCategory.values()) {
            counts.put(c, 0);
        }
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            String name = e.getEventType().getName();
            if (!name.equals("jdk.ExecutionSample") && !name.equals("jdk.NativeMethodSample")) {
                continue;
            }
            var thread = e.getThread("sampledThread");
            if (thread == null || !threadName.equals(thread.getJavaName()) || e.getStackTrace() == null) {
                continue;
            }
            List<String> frames = new ArrayList<>();
            for (RecordedFrame f : e.getStackTrace().getFrames()) {
                frames.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
            }
            if (frames.isEmpty()) {
                continue;
            }
            StepCategory c = StepCategory.of(frames);
            counts.merge(c, 1, Integer::sum);
            leaves.computeIfAbsent(c, k -> new HashMap<>()).merge(frames.get(0), 1, Integer::sum);
            callers.computeIfAbsent(c, k -> new HashMap<>()).merge(StepCategory.tesseraCaller(frames), 1, Integer::sum);
        }
        return counts;
    }

    /** One line per category: samples, share and milliseconds per step. */
    static String format(Map<StepCategory, Integer> counts, double msPerStep) {
        int total = counts.values().stream().mapToInt(Integer::intValue).sum();
        if (total == 0) {
            throw new IllegalStateException("the recording has no samples of the stepping thread");
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-13s %8s %7s %9s%n", "category", "samples", "share", "ms/step"));
        for (Map.Entry<StepCategory, Integer> e : counts.entrySet()) {
            double share = e.getValue() / (double) total;
            sb.append(String.format(Locale.ROOT, "%-13s %8d %6.1f%% %9.1f%n",
                    e.getKey().name().toLowerCase(Locale.ROOT), e.getValue(), 100 * share, share * msPerStep));
        }
        return sb.toString();
    }

    /**
     * The {@code n} most frequent frames of each category (innermost frames or Tessera callers), to
     * see what a category is made of; ties in order of name, so the listing is deterministic.
     */
    static String top(String title, Map<StepCategory, Map<String, Integer>> byCategory, int n) {
        StringBuilder sb = new StringBuilder(title).append(":\n");
        for (Map.Entry<StepCategory, Map<String, Integer>> e : byCategory.entrySet()) {
            e.getValue().entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                    .limit(n)
                    .forEach(f -> sb.append(String.format(Locale.ROOT, "  %-13s %6d  %s%n",
                            e.getKey().name().toLowerCase(Locale.ROOT), f.getValue(), f.getKey())));
        }
        return sb.toString();
    }

    private static String loadAverage() throws IOException {
        String[] p = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
        return p[0] + " " + p[1] + " " + p[2];
    }
}
