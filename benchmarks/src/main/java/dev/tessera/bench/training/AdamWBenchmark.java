package dev.tessera.bench.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.backend.Backend;
import dev.tessera.bench.BenchInputs;
import dev.tessera.bench.PyTorch;
import dev.tessera.core.Rng;
import dev.tessera.nn.Parameter;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.WeightDecayRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One AdamW step (lr 3e-4, betas 0.9/0.95, eps 1e-8, weight decay 0.1 on every parameter) over
 * the parameter set of the issue-5 GPT ({@link GptShapes}: 52 tensors, about 5.3 M floats), with
 * fixed gradients:
 * <ul>
 *   <li>{@code tessera_*}: {@link AdamW} (one fused loop per parameter);</li>
 *   <li>{@code naive_*}: {@link NaiveAdamW}, PyTorch's single-tensor loop written with ND4J ops
 *       (~10 ops per parameter);</li>
 *   <li>{@code nd4j_*}: ND4J's {@link Adam} updater (it folds the bias corrections into the step size
 *       and adds ε to √v, not √v̂, which changes steps only where |g| is near ε) plus the decoupled decay as one
 *       {@code muli}; the updater overwrites the gradient with the update, so each step first copies
 *       the gradient into a work buffer (one extra pass, charged to ND4J);</li>
 *   <li>{@code pytorch_*}: DJL's {@code Optimizer.adamW()}, which calls PyTorch's fused in-place Adam
 *       update once per parameter (what {@code TorchGpt} trains with); it places ε as ND4J does, not as
 *       {@code torch.optim.AdamW}.</li>
 * </ul>
 * All sides decay every parameter because DJL's AdamW cannot exempt some; Tessera's LM preset
 * decays matrices only.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Xms2g", "--add-modules", "jdk.incubator.vector"})
public class AdamWBenchmark {
    static final double LR = 3e-4;
    static final double BETA1 = 0.9;
    static final double BETA2 = 0.95;
    static final double EPS = 1e-8;
    static final double DECAY = 0.1;

    /** Name → shape of every GPT parameter, in the model's order. */
    static Map<String, long[]> gptShapes() {
        Backend.init();
        GptModel model = new GptModel(new GptConfig(GptShapes.VOCAB, GptShapes.CONTEXT, GptShapes.EMBD,
                GptShapes.LAYERS, GptShapes.HEADS, 0.0, 1e-5), new Rng(1), DataType.FLOAT);
        Map<String, long[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((name, p) -> out.put(name, p.shape()));
        return out;
    }

    /** The values of parameter {@code index} (seed 100 + 2·index) and of its gradient (101 + 2·index). */
    static float[] values(long[] shape, int index, boolean gradient) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return BenchInputs.gaussian(Math.toIntExact(n), 100 + 2L * index + (gradient ? 1 : 0), gradient ? 1.0 : 0.02);
    }

    /** Tessera's optimizer over its own parameters. */
    @State(Scope.Benchmark)
    public static class TesseraSide {
        Map<String, Parameter> params = new LinkedHashMap<>();
        AdamW optimizer;

        @Setup(Level.Trial)
        public void setUp() {
            int i = 0;
            for (Map.Entry<String, long[]> e : gptShapes().entrySet()) {
                Parameter p = new Parameter(Nd4j.create(values(e.getValue(), i, false), e.getValue(), 'c'));
                p.accumulateGradOwned(Nd4j.create(values(e.getValue(), i, true), e.getValue(), 'c'));
                params.put(e.getKey(), p);
                i++;
            }
            optimizer = new AdamW(params, new AdamWConfig(LR, BETA1, BETA2, EPS, DECAY, WeightDecayRule.MATRICES_ONLY),
                    (name, p) -> true);
        }
    }

    /** Parameters and gradients as plain ND4J arrays, for the naive and ND4J sides. */
    @State(Scope.Benchmark)
    public static class Nd4jSide {
        List<INDArray> params = new ArrayList<>();
        List<INDArray> grads = new ArrayList<>();
        NaiveAdamW naive;
        List<GradientUpdater<?>> updaters = new ArrayList<>();
        List<INDArray> work = new ArrayList<>();
        int nd4jStep;

        @Setup(Level.Trial)
        public void setUp() {
            int i = 0;
            for (long[] shape : gptShapes().values()) {
                params.add(Nd4j.create(values(shape, i, false), shape, 'c'));
                grads.add(Nd4j.create(values(shape, i, true), shape, 'c'));
                i++;
            }
            naive = new NaiveAdamW(params, grads, LR, BETA1, BETA2, EPS, DECAY);
            Adam adam = new Adam(LR, BETA1, BETA2, EPS);
            for (INDArray p : params) {
                INDArray state = Nd4j.zeros(DataType.FLOAT, 1, adam.stateSize(p.length()));
                updaters.add(adam.instantiate(state, true));
                work.add(p.ulike());
            }
        }

        /** One ND4J Adam step with decoupled decay, on the same parameters (used only in its own fork). */
        void nd4jStep() {
            for (int i = 0; i < params.size(); i++) {
                INDArray update = work.get(i).assign(grads.get(i));
                updaters.get(i).applyUpdater(update, nd4jStep, 0);
                params.get(i).muli(1 - LR * DECAY).subi(update);
            }
            nd4jStep++;
        }
    }

    /** PyTorch's parameters, gradients and DJL's AdamW. */
    @State(Scope.Benchmark)
    public static class TorchSide {
        NDManager manager;
        Map<String, NDArray> params = new LinkedHashMap<>();
        List<NDArray> grads = new ArrayList<>();
        Optimizer optimizer;

        @Setup(Level.Trial)
        public void setUp() {
            manager = PyTorch.newManager();
            int i = 0;
            for (Map.Entry<String, long[]> e : gptShapes().entrySet()) {
                params.put(e.getKey(), manager.create(values(e.getValue(), i, false), new Shape(e.getValue())));
                grads.add(manager.create(values(e.getValue(), i, true), new Shape(e.getValue())));
                i++;
            }
            optimizer = Optimizer.adamW().optLearningRateTracker(Tracker.fixed((float) LR)).optBeta1((float) BETA1)
                    .optBeta2((float) BETA2).optEpsilon((float) EPS).optWeightDecays((float) DECAY).build();
        }

        void step() {
            int i = 0;
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                optimizer.update(e.getKey(), e.getValue(), grads.get(i++));
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            manager.close();
        }
    }

    @Benchmark
    public long tessera_adamwStep(TesseraSide s) {
        s.optimizer.step();
        return s.optimizer.stepCount();
    }

    @Benchmark
    public List<INDArray> naive_adamwStep(Nd4jSide s) {
        s.naive.step();
        return s.params;
    }

    @Benchmark
    public List<INDArray> nd4j_adamwStep(Nd4jSide s) {
        s.nd4jStep();
        return s.params;
    }

    @Benchmark
    public Map<String, NDArray> pytorch_adamwStep(TorchSide s) {
        s.step();
        return s.params;
    }
}
