package dev.tessera.training.loop;

import java.nio.file.Path;

/** Metric callbacks of the {@link Trainer}; the progress bar and any metric sink implement this. */
public interface TrainingListener {
    default void onStep(StepMetrics metrics) {}

    default void onEval(EvalMetrics metrics) {}

    default void onCheckpoint(long step, Path dir) {}

    default void onStop(TrainingResult result) {}
}
