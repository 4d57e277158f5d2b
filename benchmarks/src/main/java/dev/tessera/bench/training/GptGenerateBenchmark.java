package dev.tessera.bench.training;

import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.backend.Backend;
import dev.tessera.core.Rng;
import dev.tessera.training.generate.DecoderLm;
import dev.tessera.training.generate.Generation;
import dev.tessera.training.generate.Generator;
import dev.tessera.training.generate.SamplingConfig;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Greedy generation of 128 tokens from a 16-token prompt, batch 1, with the {@link GptShapes}
 * model (eval mode, no gradients): Tessera with the KV cache ({@code tessera_greedy128}) beside
 * the same generator recomputing the whole prefix at every step ({@code nocache_greedy128}, the
 * naive twin). Tokens per second = 128 / (seconds per op). PyTorch's figures for this model
 * (GUIDE §2): 135 tokens/s without a cache, 282 with one.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class GptGenerateBenchmark {
    static final int PROMPT = 16;
    static final int NEW_TOKENS = 128;

    /** Generated tokens per op, for the report's tokens/s. */
    public static double tokensPerOp(Map<String, String> params) {
        return NEW_TOKENS;
    }

    DecoderLm lm;
    int[][] prompt;
    SamplingConfig greedy;

    @Setup(Level.Trial)
    public void setUp() {
        Backend.init();
        GptModel gpt = new GptModel(new GptConfig(GptShapes.VOCAB, GptShapes.CONTEXT, GptShapes.EMBD, GptShapes.LAYERS,
                GptShapes.HEADS, 0.0, 1e-5), new Rng(1), DataType.FLOAT);
        gpt.eval();
        lm = DecoderLm.of(gpt);
        prompt = new int[][] {GptShapes.ids(PROMPT, 3)};
        greedy = SamplingConfig.greedy(NEW_TOKENS);
    }

    @Benchmark
    public Generation tessera_greedy128() {
        return Generator.generate(lm, prompt, greedy, true);
    }

    @Benchmark
    public Generation nocache_greedy128() {
        return Generator.generate(lm, prompt, greedy, false);
    }
}
