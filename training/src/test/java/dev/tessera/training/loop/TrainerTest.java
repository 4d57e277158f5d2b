package dev.tessera.training.loop;

import static dev.tessera.training.TestArrays.assertBitEqual;
import static dev.tessera.training.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Parameter;
import dev.tessera.training.ListSource;
import dev.tessera.training.TinyLm;
import dev.tessera.training.checkpoint.Checkpoint;
import dev.tessera.training.checkpoint.CheckpointStore;
import dev.tessera.training.data.Batch;
import dev.tessera.training.data.DocumentPacker;
import dev.tessera.training.data.TextEncoder;
import dev.tessera.training.data.TokenFile;
import dev.tessera.training.data.WindowSampler;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.LrSchedule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TrainerTest {
    private static final int V = 40;

    @TempDir
    Path dir;

    private TokenFile corpus() throws IOException {
        TextEncoder enc = new TextEncoder() {
            @Override
            public int[] encode(String text) {
                return text.chars().map(c -> c % (V - 1)).toArray();
            }

            @Override
            public int vocabSize() {
                return V;
            }
        };
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            docs.add("the quick brown fox " + i + " jumps over the lazy dog");
        }
        Path f = dir.resolve("c.tok");
        DocumentPacker.pack(docs, enc, V - 1, f);
        return TokenFile.open(f);
    }

    private record Run(TinyLm model, Trainer trainer, List<Double> losses) {}

    private Run run(TokenFile tokens, long initSeed, long stopAt, Path ckpt) {
        TinyLm model = new TinyLm(V, 16, 0.1, initSeed, DataType.FLOAT);
        AdamW opt = new AdamW(model.namedParameters(), AdamWConfig.lm(3e-3));
        WindowSampler sampler = new WindowSampler(tokens, 4, 12, 99);
        TrainerConfig cfg = TrainerConfig.simple(stopAt).withGradAccumSteps(2).withCheckpointEvery(3);
        Trainer t = new Trainer(cfg, model, opt, LrSchedule.cosine(3e-3, 3e-4, 2, 10), model::forward, sampler, List.of(),
                Map.of("dropout", model.dropoutRng), ckpt == null ? null : new CheckpointStore(ckpt, 2));
        List<Double> losses = new ArrayList<>();
        t.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                losses.add(m.loss());
            }
        });
        return new Run(model, t, losses);
    }

    @Test
    void resumedRunEqualsUninterruptedBitForBit() throws IOException {
        TokenFile tokens = corpus();
        Run full = run(tokens, 1, 10, null);
        assertEquals(StopReason.COMPLETED, full.trainer().run().reason());
        assertTrue(full.losses().get(9) < full.losses().get(0), "loss decreases: " + full.losses());

        Path ckpt = dir.resolve("ckpt");
        Run first = run(tokens, 1, 7, ckpt);
        first.trainer().run(); // checkpoints at 3, 6 and 7 (the end)
        assertEquals(List.of(ckpt.resolve("step-00000007"), ckpt.resolve("step-00000006")),
                new CheckpointStore(ckpt, 2).list());

        Run resumed = run(tokens, 12345, 10, ckpt); // different init: everything must come from the checkpoint
        assertEquals(7L, resumed.trainer().resume().orElseThrow());
        resumed.trainer().run();
        for (int k = 0; k < 3; k++) {
            assertEquals(Double.doubleToRawLongBits(full.losses().get(7 + k)),
                    Double.doubleToRawLongBits(resumed.losses().get(k)), "loss at step " + (8 + k));
        }
        Map<String, Parameter> a = full.model().namedParameters();
        Map<String, Parameter> b = resumed.model().namedParameters();
        for (String name : a.keySet()) {
            assertBitEqual(name, a.get(name).data(), b.get(name).data());
        }
    }

    @Test
    void aRejectedCheckpointLeavesTheTrainerAsItWas() throws IOException {
        TokenFile tokens = corpus();
        Path ckpt = dir.resolve("reject");
        run(tokens, 1, 3, ckpt).trainer().run();
        Checkpoint good = new CheckpointStore(ckpt, 2).latest().orElseThrow();
        Map<String, INDArray> badOptimizer = new java.util.LinkedHashMap<>(good.optimizer());
        badOptimizer.put("lr", Nd4j.scalar(DataType.DOUBLE, Double.NaN)); // the weights are fine, the optimizer is not
        Checkpoint bad = new Checkpoint(good.dir(), good.model(), badOptimizer, good.state());

        Run fresh = run(tokens, 777, 10, null);
        Map<String, INDArray> before = new java.util.LinkedHashMap<>();
        fresh.model().stateDict().forEach((k, v) -> before.put(k, v.dup()));
        long[] rngBefore = fresh.model().dropoutRng.state();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fresh.trainer().restore(bad));
        assertTrue(e.getMessage().contains("lr"), e.getMessage());
        fresh.model().stateDict().forEach((k, v) -> assertBitEqual(k + " after a rejected restore", before.get(k), v));
        assertEquals(0, fresh.trainer().step());
        assertArrayEquals(rngBefore, fresh.model().dropoutRng.state());
        fresh.trainer().restore(good); // and the good one still restores
        assertEquals(3, fresh.trainer().step());
    }

    /** Rows of length 6 with ignored targets spread unevenly (row r ignores its first r % 4 targets; row 5 ignores all). */
    private static List<Batch> rows() {
        Rng rng = new Rng(5);
        List<Batch> out = new ArrayList<>();
        for (int r = 0; r < 8; r++) {
            int[] in = new int[6];
            int[] tg = new int[6];
            for (int t = 0; t < 6; t++) {
                in[t] = rng.nextInt(V);
                tg[t] = (t < r % 4 || r == 5) ? -100 : rng.nextInt(V);
            }
            out.add(new Batch(Nd4j.createFromArray(in).reshape(1, 6), Nd4j.createFromArray(tg).reshape(1, 6), null));
        }
        return out;
    }

    private static Map<String, Parameter> trainOneStep(List<Batch> batches, int accum) throws IOException {
        TinyLm model = new TinyLm(V, 8, 0.0, 3, DataType.DOUBLE);
        AdamW opt = new AdamW(model.namedParameters(), AdamWConfig.lm(1e-2));
        Trainer t = new Trainer(TrainerConfig.simple(2).withGradAccumSteps(accum).withClipNorm(0.5), model, opt,
                LrSchedule.constant(1e-2), model::forward, new ListSource(batches), List.of(), Map.of(), null);
        t.run();
        return model.namedParameters();
    }

    @Test
    void accumulationOneByEightEqualsEightByOne() throws IOException {
        List<Batch> rows = rows();
        INDArray in = Nd4j.concat(0, rows.stream().map(Batch::inputs).toArray(INDArray[]::new));
        INDArray tg = Nd4j.concat(0, rows.stream().map(Batch::targets).toArray(INDArray[]::new));
        Map<String, Parameter> whole = trainOneStep(List.of(new Batch(in, tg, null)), 1);
        Map<String, Parameter> micro = trainOneStep(rows, 8);
        for (String name : whole.keySet()) {
            assertClose(name, whole.get(name).data(), micro.get(name).data(), 1e-6);
        }
        Map<String, Parameter> init = new TinyLm(V, 8, 0.0, 3, DataType.DOUBLE).namedParameters();
        assertNotEquals(init.get("head.weight").data(), whole.get("head.weight").data(), "the step changed the weights");
    }

    @Test
    void nonFiniteGradientStopsWithReportAndKeepsLastCheckpoint() throws IOException {
        TokenFile tokens = corpus();
        TinyLm model = new TinyLm(V, 16, 0.0, 1, DataType.FLOAT);
        AdamW opt = new AdamW(model.namedParameters(), AdamWConfig.lm(1e-3));
        Path ckpt = dir.resolve("nan");
        CheckpointStore store = new CheckpointStore(ckpt, 3);
        long[] calls = {0};
        ForwardFunction f = b -> {
            Tensor logits = model.forward(b);
            if (++calls[0] == 3) { // step 3: finite loss, but 0·d√x/dx at x = 0 is NaN for head.bias
                Parameter bias = model.head.bias();
                logits = logits.addBroadcast(bias.sub(bias).sqrt().mul(0.0));
            }
            return logits;
        };
        Trainer t = new Trainer(TrainerConfig.simple(10).withCheckpointEvery(1).withClipNorm(0), model, opt,
                LrSchedule.constant(1e-3), f, new WindowSampler(tokens, 2, 8, 1), List.of(), Map.of(), store);
        TrainingResult r = t.run();
        assertEquals(StopReason.NON_FINITE, r.reason());
        assertEquals(2, r.step());
        assertTrue(r.message().contains("head.bias") && r.message().contains("step 3"), r.message());
        assertEquals(ckpt.resolve("step-00000002"), store.list().get(0));
        Map<String, INDArray> saved = store.latest().orElseThrow().model();
        model.namedParameters().forEach((name, p) -> assertBitEqual(name, saved.get(name), p.data()));
    }

    @Test
    void nonFiniteGradientCanBeSkippedInstead() throws IOException {
        TokenFile tokens = corpus();
        TinyLm model = new TinyLm(V, 16, 0.0, 1, DataType.FLOAT);
        AdamW opt = new AdamW(model.namedParameters(), AdamWConfig.lm(1e-3));
        long[] calls = {0};
        ForwardFunction f = b -> {
            Tensor logits = model.forward(b);
            if (++calls[0] == 3) { // step 3: finite loss, NaN gradient of head.bias
                Parameter bias = model.head.bias();
                logits = logits.addBroadcast(bias.sub(bias).sqrt().mul(0.0));
            }
            return logits;
        };
        TrainerConfig cfg = TrainerConfig.simple(6).withClipNorm(1.0).withOnNonFinite(OnNonFinite.SKIP_STEP);
        assertEquals(OnNonFinite.STOP, TrainerConfig.simple(6).onNonFinite(), "stopping is the default");
        Trainer t = new Trainer(cfg, model, opt, LrSchedule.constant(1e-3), f, new WindowSampler(tokens, 2, 8, 1), List.of(),
                Map.of(), null);
        List<Long> applied = new ArrayList<>();
        t.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                applied.add(m.step());
            }
        });
        TrainingResult r = t.run();
        assertEquals(StopReason.COMPLETED, r.reason());
        assertEquals(6, r.step());
        assertEquals(1, t.skippedSteps());
        assertTrue(r.message().contains("1 skipped"), r.message());
        assertEquals(List.of(1L, 2L, 4L, 5L, 6L), applied);
        assertEquals(5, opt.stepCount(), "the optimizer never saw the skipped step");
        model.namedParameters().forEach((name, p) -> {
            for (double x : p.data().castTo(DataType.DOUBLE).dup('c').data().asDouble()) {
                assertTrue(Double.isFinite(x), name + " holds " + x);
            }
        });
    }

    @Test
    void nonFiniteLossIsReported() throws IOException {
        TinyLm model = new TinyLm(V, 8, 0.0, 1, DataType.DOUBLE);
        AdamW opt = new AdamW(model.namedParameters(), AdamWConfig.lm(1e-3));
        model.head.bias().data().putScalar(0, Double.NaN);
        Trainer t = new Trainer(TrainerConfig.simple(5), model, opt, LrSchedule.constant(1e-3), model::forward,
                new ListSource(rows()), List.of(), Map.of(), null);
        TrainingResult r = t.run();
        assertEquals(StopReason.NON_FINITE, r.reason());
        assertTrue(r.message().contains("loss") && r.message().contains("step 1"), r.message());
    }

    @Test
    void nonFiniteValidationLossStopsInsteadOfCountingAsNoImprovement() throws IOException {
        for (OnNonFinite action : OnNonFinite.values()) {
            TinyLm model = new TinyLm(V, 8, 0.0, 1, DataType.DOUBLE);
            AdamW opt = new AdamW(model.namedParameters(), AdamWConfig.lm(1e-3));
            List<Batch> rows = rows();
            ForwardFunction f = b -> {
                Tensor logits = model.forward(b);
                return model.isTraining() ? logits : logits.mul(Double.POSITIVE_INFINITY); // diverged on validation only
            };
            Trainer t = new Trainer(TrainerConfig.simple(6).withEval(2, 2, 0).withOnNonFinite(action), model, opt,
                    LrSchedule.constant(1e-3), f, new ListSource(rows), rows.subList(0, 2), Map.of(), null);
            TrainingResult r = t.run();
            if (action == OnNonFinite.STOP) {
                assertEquals(StopReason.NON_FINITE, r.reason());
                assertEquals(2, r.step());
                assertTrue(r.message().contains("validation loss") && r.message().contains("step 2"), r.message());
            } else {
                assertEquals(StopReason.EARLY_STOPPED, r.reason()); // two evaluations without improvement
                assertEquals(4, r.step());
            }
        }
    }

    @Test
    void earlyStoppingAndEvaluation() throws IOException {
        TinyLm model = new TinyLm(V, 8, 0.0, 1, DataType.DOUBLE);
        AdamW opt = new AdamW(model.namedParameters(), AdamWConfig.lm(0));
        List<Batch> rows = rows();
        List<EvalMetrics> evals = new ArrayList<>();
        Trainer t = new Trainer(TrainerConfig.simple(100).withEval(1, 2, 0), model, opt, LrSchedule.constant(0),
                model::forward, new ListSource(rows), rows.subList(0, 2), Map.of(), null);
        t.addListener(new TrainingListener() {
            @Override
            public void onEval(EvalMetrics m) {
                evals.add(m);
            }
        });
        TrainingResult r = t.run();
        assertEquals(StopReason.EARLY_STOPPED, r.reason()); // lr 0: the loss never improves after the first eval
        assertEquals(3, r.step());
        assertEquals(3, evals.size());
        assertEquals(evals.get(0).loss(), evals.get(2).loss());
        assertEquals(11, evals.get(0).tokens()); // row 0: 6 valid targets, row 1: 5
    }
}
