package dev.tessera.bench.training;

import dev.tessera.attention.GptDecodeStep;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.backend.Backend;
import dev.tessera.core.Rng;
import dev.tessera.attention.model.CausalLm;
import dev.tessera.training.generate.Generation;
import dev.tessera.training.generate.Generator;
import dev.tessera.training.generate.SamplingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Greedy generation of 128 tokens from a 16-token prompt, batch 1, with the {@link GptShapes}
 * model (eval mode, no gradients), with and without a KV cache: Tessera ({@link Generator} over
 * the attention module's GPT) beside the same model in PyTorch eager through DJL
 * ({@link TorchGptDecoder}: a manual per-layer past key/value cache grown by concat). The report
 * pairs {@code tessera_greedy128} with {@code pytorch_greedy128} (cache) and
 * {@code tessera_greedy128NoCache} with {@code pytorch_greedy128NoCache} (the whole prefix
 * recomputed at every step). Tokens per second = 128 / (seconds per op). Issue 5's PyTorch figures
 * for this model: 135 tokens/s without a cache, 282 with one.
 *
 * <p>With a cache, Tessera's decode steps take {@code GptDecodeStep}'s allocation-free fast path;
 * to measure the general path instead, pass {@code -jvmArgsAppend -Dtessera.decode=general} to JMH
 * (the prompt always goes through the general path). {@link #main} runs the three cached sides
 * interleaved in one process (fast path, general path, PyTorch), which on the shared machine is
 * a fairer comparison than JMH's one-after-the-other trials.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-modules", "jdk.incubator.vector"})
public class GptGenerateBenchmark {
    static final int PROMPT = 16;
    static final int NEW_TOKENS = 128;

    /** Generated tokens per op, for the report's tokens/s. */
    public static double tokensPerOp(Map<String, String> params) {
        return NEW_TOKENS;
    }

    /** Tessera's model and prompt. */
    @State(Scope.Benchmark)
    public static class TesseraSide {
        CausalLm lm;
        int[][] prompt; // (1, PROMPT)
        SamplingConfig greedy;

        @Setup(Level.Trial)
        public void setUp() {
            Backend.init();
            GptModel gpt = new GptModel(new GptConfig(GptShapes.VOCAB, GptShapes.CONTEXT, GptShapes.EMBD,
                    GptShapes.LAYERS, GptShapes.HEADS, 0.0, 1e-5), new Rng(1), DataType.FLOAT);
            gpt.eval();
            lm = gpt;
            prompt = new int[][] {GptShapes.ids(PROMPT, 3)};
            greedy = SamplingConfig.greedy(NEW_TOKENS);
        }
    }

    /** PyTorch's side. */
    @State(Scope.Benchmark)
    public static class TorchSide {
        TorchGptDecoder model;
        int[] prompt; // (PROMPT)

        @Setup(Level.Trial)
        public void setUp() {
            model = new TorchGptDecoder();
            prompt = GptShapes.ids(PROMPT, 3);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            model.close();
        }
    }

    @Benchmark
    public Generation tessera_greedy128(TesseraSide s) {
        return Generator.generate(s.lm, s.prompt, s.greedy, true);
    }

    @Benchmark
    public Generation tessera_greedy128NoCache(TesseraSide s) {
        return Generator.generate(s.lm, s.prompt, s.greedy, false);
    }

    @Benchmark
    public int[] pytorch_greedy128(TorchSide s) {
        return s.model.generate(s.prompt, NEW_TOKENS, true);
    }

    @Benchmark
    public int[] pytorch_greedy128NoCache(TorchSide s) {
        return s.model.generate(s.prompt, NEW_TOKENS, false);
    }

    /**
     * In-process A/B under noisy load: {@code rounds} rounds (default 25, after 3 warm-up rounds),
     * each generating once with Tessera's decode fast path, once with its general cache path and
     * once with PyTorch, in an order rotated every round; prints each side's median tokens/s and
     * the per-round ratios' medians. Run with the benchmarks jar and {@code target/classpath.txt}:
     * {@code java -cp "$jar:$(cat benchmarks/target/classpath.txt)" dev.tessera.bench.training.GptGenerateBenchmark 25}.
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 25;
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be >= 1 but was " + rounds);
        }
        TesseraSide tessera = new TesseraSide();
        tessera.setUp();
        TorchSide torch = new TorchSide();
        torch.setUp();
        String[] names = {"tessera_greedy128 (fast path)", "tessera_greedy128 (general path)", "pytorch_greedy128"};
        List<List<Double>> tps = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        List<String> loads = new ArrayList<>();
        try {
            for (int r = -3; r < rounds; r++) {
                for (int k = 0; k < 3; k++) {
                    int side = (r + 3 + k) % 3;
                    long t0 = System.nanoTime();
                    if (side == 2) {
                        torch.model.generate(torch.prompt, NEW_TOKENS, true);
                    } else {
                        GptDecodeStep.setEnabled(side == 0);
                        Generator.generate(tessera.lm, tessera.prompt, tessera.greedy, true);
                    }
                    double perSecond = NEW_TOKENS / ((System.nanoTime() - t0) / 1e9);
                    if (r >= 0) {
                        tps.get(side).add(perSecond);
                    }
                }
                if (r >= 0 && r % 5 == 0) {
                    loads.add(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
                }
            }
        } finally {
            GptDecodeStep.setEnabled(true);
            torch.tearDown();
        }
        for (int side = 0; side < 3; side++) {
            System.out.printf("%-34s median %6.1f tokens/s over %d rounds%n", names[side], median(tps.get(side)), rounds);
        }
        List<Double> vsTorch = new ArrayList<>();
        List<Double> vsGeneral = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            vsTorch.add(tps.get(0).get(i) / tps.get(2).get(i));
            vsGeneral.add(tps.get(0).get(i) / tps.get(1).get(i));
        }
        System.out.printf("per-round median ratios: fast/pytorch %.2fx, fast/general %.2fx%n", median(vsTorch),
                median(vsGeneral));
        System.out.println("1-minute load average every 5 rounds: " + loads);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
