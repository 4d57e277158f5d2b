package dev.tessera.training.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Tensor;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.training.data.DataSource;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.LrSchedule;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The loop on an objective that is not cross-entropy: least squares on rows (x, y). */
class ObjectiveTrainerTest {
    /** y ≈ x·w, w of shape (2, 1). */
    static final class Line extends Module {
        final Parameter w = registerParameter("w", new Parameter(Nd4j.createFromArray(new double[][] {{0.1}, {-0.2}})));
    }

    /** A batch: rows x (k, 2) and targets y (k, 1). */
    record Rows(double[][] x, double[][] y) {
        Rows part(int from, int to) {
            return new Rows(java.util.Arrays.copyOfRange(x, from, to), java.util.Arrays.copyOfRange(y, from, to));
        }
    }

    /** Σ (x·w − y)² / normalizer; the count is the rows; metric {@code abs_error}: mean |x·w − y| per row. */
    static final class LeastSquares implements Objective<Rows> {
        private final Line line;
        final List<Double> normalizers = new ArrayList<>();

        LeastSquares(Line line) {
            this.line = line;
        }

        @Override
        public long count(Rows batch) {
            return batch.x().length;
        }

        @Override
        public BatchLoss compute(Rows batch, double normalizer) {
            normalizers.add(normalizer);
            Tensor err = Tensor.constant(Nd4j.createFromArray(batch.x())).matmul(line.w)
                    .sub(Tensor.constant(Nd4j.createFromArray(batch.y()))); // (k, 1)
            Tensor sq = err.pow(2).sum();
            double abs = err.abs().sum().item();
            return new BatchLoss(sq.mul(1.0 / normalizer), sq.item(), batch.x().length,
                    Map.of("abs_error", new MetricSum(abs, batch.x().length)));
        }
    }

    static DataSource<Rows> repeat(List<Rows> batches) {
        return new DataSource<>() {
            long next;

            @Override
            public Rows next() {
                return batches.get((int) (next++ % batches.size()));
            }

            @Override
            public long[] position() {
                return new long[] {next};
            }

            @Override
            public void setPosition(long[] p) {
                next = p[0];
            }
        };
    }

    private static final Rows DATA = new Rows(new double[][] {{1, 2}, {3, -1}, {0.5, 0.5}, {2, 2}, {-1, 1}},
            new double[][] {{1}, {2}, {0.5}, {3}, {-1}});

    private static Trainer trainer(Line line, LeastSquares objective, List<Rows> batches, int accumulate, long steps,
            List<Rows> validation) {
        AdamW opt = new AdamW(line.namedParameters(), AdamWConfig.lm(0.05));
        TrainerConfig c = TrainerConfig.simple(steps).withGradAccumSteps(accumulate);
        if (!validation.isEmpty()) {
            c = c.withEval(steps, 0, 0);
        }
        return new Trainer(c, line, opt, LrSchedule.constant(0.05), objective, repeat(batches), validation, Map.of(),
                null, null);
    }

    @Test
    void microBatchesOfUnequalSizeGiveTheUpdateOfTheWholeBatch() throws IOException {
        Line whole = new Line();
        LeastSquares wholeObjective = new LeastSquares(whole);
        trainer(whole, wholeObjective, List.of(DATA), 1, 3, List.of()).run();

        Line split = new Line();
        LeastSquares splitObjective = new LeastSquares(split);
        // 2 + 3 rows per step: each micro-batch's loss is divided by the step's 5 rows, not its own count
        trainer(split, splitObjective, List.of(DATA.part(0, 2), DATA.part(2, 5)), 2, 3, List.of()).run();
        assertEquals(List.of(5.0, 5.0, 5.0, 5.0, 5.0, 5.0), splitObjective.normalizers);
        double[] a = whole.w.data().dup().data().asDouble();
        double[] b = split.w.data().dup().data().asDouble();
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-12, "w[" + i + "]");
        }
        assertTrue(whole.w.dtype() == DataType.DOUBLE);
    }

    @Test
    void stepAndEvaluationMetricsAreSumsOverTheirWeights() throws IOException {
        Line line = new Line();
        LeastSquares objective = new LeastSquares(line);
        List<Rows> validation = List.of(DATA.part(0, 1), DATA.part(1, 5));
        Trainer t = trainer(line, objective, List.of(DATA.part(0, 2), DATA.part(2, 5)), 2, 1, validation);
        List<StepMetrics> steps = new ArrayList<>();
        t.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                steps.add(m);
            }
        });
        // before the step: the mean loss and mean |error| over all 5 rows, from the initial w
        double sq = 0, abs = 0;
        for (int i = 0; i < 5; i++) {
            double e = DATA.x()[i][0] * 0.1 + DATA.x()[i][1] * -0.2 - DATA.y()[i][0];
            sq += e * e;
            abs += Math.abs(e);
        }
        TrainingResult r = t.run();
        assertEquals(StopReason.COMPLETED, r.reason());
        StepMetrics m = steps.get(0);
        assertEquals(5, m.tokens());
        assertEquals(sq / 5, m.loss(), 1e-12);
        assertEquals(abs / 5, m.metric("abs_error"), 1e-12);
        // after it: evaluation weights each validation batch by its rows (1 and 4), not equally
        EvalMetrics e = r.lastEval();
        double[] w = line.w.data().dup().data().asDouble();
        double esq = 0, eabs = 0;
        for (int i = 0; i < 5; i++) {
            double d = DATA.x()[i][0] * w[0] + DATA.x()[i][1] * w[1] - DATA.y()[i][0];
            esq += d * d;
            eabs += Math.abs(d);
        }
        assertEquals(5, e.tokens());
        assertEquals(esq / 5, e.loss(), 1e-12);
        assertEquals(eabs / 5, e.metrics().get("abs_error"), 1e-12);
        assertTrue(Double.isNaN(e.accuracy()), "the objective reports no accuracy");
    }

    /** Least squares with a trainable offset b outside the line module: y ≈ x·w + b. */
    static final class Offset implements Objective<Rows> {
        private final Line line;
        final Parameter b = new Parameter(Nd4j.createFromArray(new double[][] {{0.0}}));

        Offset(Line line) {
            this.line = line;
        }

        @Override
        public long count(Rows batch) {
            return batch.x().length;
        }

        @Override
        public BatchLoss compute(Rows batch, double normalizer) {
            Tensor err = Tensor.constant(Nd4j.createFromArray(batch.x())).matmul(line.w).addBroadcast(b)
                    .sub(Tensor.constant(Nd4j.createFromArray(batch.y()))); // (k, 1)
            Tensor sq = err.pow(2).sum();
            return new BatchLoss(sq.mul(1.0 / normalizer), sq.item(), batch.x().length, Map.of());
        }
    }

    @Test
    void onlyTheTrainableParametersAreClippedAndUpdated(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws IOException {
        Line line = new Line();
        Offset objective = new Offset(line);
        Map<String, Parameter> trainable = Map.of("b", objective.b);
        double[] w0 = line.w.data().dup().data().asDouble();
        // the gradient of b alone at the start: 2·Σ(x·w − y) / n
        double expected = 0;
        for (int i = 0; i < DATA.x().length; i++) {
            expected += 2 * (DATA.x()[i][0] * w0[0] + DATA.x()[i][1] * w0[1] - DATA.y()[i][0]) / DATA.x().length;
        }
        List<StepMetrics> steps = new ArrayList<>();
        Trainer t = new Trainer(TrainerConfig.simple(3).withClipNorm(1e9), line, trainable,
                new AdamW(trainable, AdamWConfig.lm(0.05)), LrSchedule.constant(0.05), objective, repeat(List.of(DATA)),
                List.of(), Map.of(), null, null);
        t.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                steps.add(m);
            }
        });
        t.run();
        assertEquals(Math.abs(expected), steps.get(0).gradNorm(), 1e-12, "the norm is b's alone, not w's too");
        assertTrue(objective.b.data().getDouble(0) != 0, "b was trained");
        double[] w1 = line.w.data().dup().data().asDouble();
        for (int i = 0; i < w0.length; i++) {
            assertEquals(w0[i], w1[i], 0.0, "w is not trainable here");
        }
        // a checkpoint saves the module's state dict, which has no b: refused rather than lost
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Trainer(TrainerConfig.simple(3), line, trainable, new AdamW(trainable, AdamWConfig.lm(0.05)),
                        LrSchedule.constant(0.05), objective, repeat(List.of(DATA)), List.of(), Map.of(),
                        new dev.tessera.training.checkpoint.CheckpointStore(dir, 1), null));
        assertTrue(e.getMessage().contains("'b'"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Trainer(TrainerConfig.simple(3), line, Map.of(), new AdamW(trainable, AdamWConfig.lm(0.05)),
                        LrSchedule.constant(0.05), objective, repeat(List.of(DATA)), List.of(), Map.of(), null, null));
        assertTrue(e.getMessage().contains("trainable"), e.getMessage());
    }
}
