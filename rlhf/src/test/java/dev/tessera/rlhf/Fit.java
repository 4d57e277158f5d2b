package dev.tessera.rlhf;

import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.training.checkpoint.CheckpointStore;
import dev.tessera.training.data.DataSource;
import dev.tessera.training.loop.Objective;
import dev.tessera.training.loop.OnNonFinite;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.Trainer;
import dev.tessera.training.loop.TrainerConfig;
import dev.tessera.training.loop.TrainingListener;
import dev.tessera.training.loop.TrainingResult;
import dev.tessera.training.optim.OptimizerSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test helpers: the training module's loop on an RLHF objective, over fixed batches. */
public final class Fit {
    private Fit() {}

    /** The batches in order, again and again; the position is the index of the next one. */
    public static <B> DataSource<B> fixed(List<B> batches) {
        return new DataSource<>() {
            private long next;

            @Override
            public B next() {
                return batches.get((int) (next++ % batches.size()));
            }

            @Override
            public long[] position() {
                return new long[] {next};
            }

            @Override
            public void setPosition(long[] position) {
                next = position[0];
            }
        };
    }

    /** AdamW at {@code lr} (fine-tuning defaults), constant, clip 1, no evaluation. */
    public static <B> Trainer trainer(Module model, double lr, Objective<B> objective, DataSource<B> data, long steps,
            OnNonFinite onNonFinite, CheckpointStore store) {
        OptimizerSettings o = OptimizerSettings.adamW(lr);
        return new Trainer(TrainerConfig.simple(steps).withOnNonFinite(onNonFinite), model,
                o.optimizer(model.namedParameters()), o.schedule(steps), objective, data, List.of(), Map.of(), store, null);
    }

    /** As {@link #trainer(Module, double, Objective, DataSource, long, OnNonFinite, CheckpointStore)}, optimising only {@code trainable}. */
    public static <B> Trainer trainer(Module model, Map<String, Parameter> trainable, double lr, Objective<B> objective,
            DataSource<B> data, long steps, OnNonFinite onNonFinite, CheckpointStore store) {
        OptimizerSettings o = OptimizerSettings.adamW(lr);
        return new Trainer(TrainerConfig.simple(steps).withOnNonFinite(onNonFinite), model, trainable,
                o.optimizer(trainable), o.schedule(steps), objective, data, List.of(), Map.of(), store, null);
    }

    /** Runs the trainer and returns every step's metrics, then the result. */
    public static Run run(Trainer trainer) {
        List<StepMetrics> steps = new ArrayList<>();
        trainer.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                steps.add(m);
            }
        });
        try {
            return new Run(steps, trainer.run());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A run's per-step metrics and how it ended. */
    public record Run(List<StepMetrics> steps, TrainingResult result) {
        public double firstLoss() {
            return steps.get(0).loss();
        }

        public double lastLoss() {
            return steps.get(steps.size() - 1).loss();
        }
    }
}
