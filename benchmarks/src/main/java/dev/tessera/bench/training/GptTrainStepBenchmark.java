package dev.tessera.bench.training;

import static dev.tessera.bench.training.GptShapes.BATCH;
import static dev.tessera.bench.training.GptShapes.SEQ;

import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.backend.Backend;
import dev.tessera.backend.StepWorkspace;
import dev.tessera.core.Rng;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
 * One GPT training step (forward, next-token cross-entropy, backward, AdamW) on B = 8 × T = 256
 * tokens of the {@link GptShapes} model: Tessera (attention module's GPT, fused loss, fused
 * AdamW; optionally the forward pass in the reused {@link StepWorkspace}) beside the same model in
 * PyTorch eager through DJL ({@link TorchGpt}). Tokens per second = 2048 / (seconds per op); the
 * report pairs {@code tessera_trainStep} with {@code pytorch_trainStep}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-modules", "jdk.incubator.vector"})
public class GptTrainStepBenchmark {

    /** Whether Tessera's forward pass runs in the reused step memory (off by default, as in {@code Trainer}). */
    static final StepMemory STEP_MEMORY = Boolean.getBoolean("tessera.bench.stepWorkspace") ? StepMemory.WORKSPACE
            : StepMemory.parse(System.getProperty("tessera.bench.stepMemory", "free"));

    /** Tokens per op, for the report's tokens/s. */
    public static double tokensPerOp(Map<String, String> params) {
        return BATCH * SEQ;
    }

    /** Tessera's model, optimizer and batch. */
    @State(Scope.Benchmark)
    public static class TesseraSide {
        GptModel model;
        AdamW optimizer;
        INDArray ids; // (B, T)

        @Setup(Level.Trial)
        public void setUp() {
            Backend.init();
            model = new GptModel(new GptConfig(GptShapes.VOCAB, GptShapes.CONTEXT, GptShapes.EMBD, GptShapes.LAYERS,
                    GptShapes.HEADS, 0.0, 1e-5), new Rng(1), DataType.FLOAT);
            optimizer = new AdamW(model.namedParameters(), AdamWConfig.lm(3e-4));
            ids = Nd4j.createFromArray(GptShapes.ids(BATCH * SEQ, 7)).reshape('c', BATCH, SEQ);
        }
    }

    /** PyTorch's side. */
    @State(Scope.Benchmark)
    public static class TorchSide {
        TorchGpt model;

        @Setup(Level.Trial)
        public void setUp() {
            model = new TorchGpt(GptShapes.ids(BATCH * SEQ, 7));
        }

        @org.openjdk.jmh.annotations.TearDown(Level.Trial)
        public void tearDown() {
            model.close();
        }
    }

    /**
     * One step as the library runs it by default ({@link StepMemory#FREE}: the graph and the
     * gradients freed deterministically, their memory reused warm), or as
     * {@code -Dtessera.bench.stepMemory=workspace|plain} says (e.g. {@code benchmarks/run.sh GptTrainStep --
     * -jvmArgsAppend -Dtessera.bench.stepMemory=plain}; {@code -Dtessera.bench.stepWorkspace=true} is
     * {@code workspace}).
     */
    @Benchmark
    public double tessera_trainStep(TesseraSide s) {
        return TrainStepPeakMemory.step(s.model, s.optimizer, s.ids, STEP_MEMORY);
    }

    @Benchmark
    public double pytorch_trainStep(TorchSide s) {
        return s.model.trainStep();
    }
}
