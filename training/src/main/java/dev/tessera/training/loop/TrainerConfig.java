package dev.tessera.training.loop;

import dev.tessera.training.loss.CrossEntropyOptions;

/**
 * The training loop's settings.
 *
 * @param maxSteps optimizer steps to run in total (a resumed run continues up to this), e.g. 1000
 * @param gradAccumSteps micro-batches per optimizer step (≥ 1); the loss is normalised by the
 *     step's total valid-token count, so 1×8 and 8×1 give the same update
 * @param evalEvery evaluate every N steps (0: never; also evaluated after the last step when &gt; 0), e.g. 100
 * @param checkpointEvery checkpoint every N steps (0: only at the end), e.g. 500
 * @param clipNorm global gradient-norm bound (0: no clipping), typical 1.0
 * @param patience stop after this many evaluations without improvement (0: never), e.g. 5
 * @param minDelta an evaluation improves when its loss is below best − minDelta, e.g. 0
 * @param logEvery log a line every N steps through slf4j (0: never), e.g. 10
 * @param loss cross-entropy options (ignore index, label smoothing, z-loss) of the trainer's
 *     cross-entropy constructors; an explicit {@link Objective} owns its loss and ignores them
 * @param onNonFinite what to do when a step's loss or gradient norm is NaN/Inf, default {@link OnNonFinite#STOP}
 */
public record TrainerConfig(long maxSteps, int gradAccumSteps, long evalEvery, long checkpointEvery, double clipNorm,
        int patience, double minDelta, long logEvery, CrossEntropyOptions loss, OnNonFinite onNonFinite) {
    public TrainerConfig {
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps must be >= 0 but was " + maxSteps);
        }
        if (gradAccumSteps < 1) {
            throw new IllegalArgumentException("gradAccumSteps must be >= 1 but was " + gradAccumSteps);
        }
        if (evalEvery < 0 || checkpointEvery < 0 || logEvery < 0) {
            throw new IllegalArgumentException("evalEvery, checkpointEvery and logEvery must be >= 0 but were "
                    + evalEvery + ", " + checkpointEvery + ", " + logEvery);
        }
        if (!(clipNorm >= 0)) {
            throw new IllegalArgumentException("clipNorm must be >= 0 but was " + clipNorm);
        }
        if (patience < 0 || !(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new IllegalArgumentException("patience and minDelta must be >= 0 (minDelta finite) but were " + patience
                    + ", " + minDelta);
        }
        if (loss == null) {
            throw new IllegalArgumentException("loss must not be null");
        }
        if (onNonFinite == null) {
            throw new IllegalArgumentException("onNonFinite must not be null");
        }
    }

    /** The settings with {@link OnNonFinite#STOP}. */
    public TrainerConfig(long maxSteps, int gradAccumSteps, long evalEvery, long checkpointEvery, double clipNorm,
            int patience, double minDelta, long logEvery, CrossEntropyOptions loss) {
        this(maxSteps, gradAccumSteps, evalEvery, checkpointEvery, clipNorm, patience, minDelta, logEvery, loss,
                OnNonFinite.STOP);
    }

    /** {@code maxSteps} steps, no accumulation, evaluation or checkpoints, clip 1.0, default loss. */
    public static TrainerConfig simple(long maxSteps) {
        return new TrainerConfig(maxSteps, 1, 0, 0, 1.0, 0, 0, 0, CrossEntropyOptions.defaults());
    }

    public TrainerConfig withMaxSteps(long n) {
        return new TrainerConfig(n, gradAccumSteps, evalEvery, checkpointEvery, clipNorm, patience, minDelta,
                logEvery, loss, onNonFinite);
    }

    public TrainerConfig withGradAccumSteps(int n) {
        return new TrainerConfig(maxSteps, n, evalEvery, checkpointEvery, clipNorm, patience, minDelta, logEvery,
                loss, onNonFinite);
    }

    public TrainerConfig withEval(long every, int patience, double minDelta) {
        return new TrainerConfig(maxSteps, gradAccumSteps, every, checkpointEvery, clipNorm, patience, minDelta,
                logEvery, loss, onNonFinite);
    }

    public TrainerConfig withCheckpointEvery(long n) {
        return new TrainerConfig(maxSteps, gradAccumSteps, evalEvery, n, clipNorm, patience, minDelta, logEvery,
                loss, onNonFinite);
    }

    public TrainerConfig withClipNorm(double c) {
        return new TrainerConfig(maxSteps, gradAccumSteps, evalEvery, checkpointEvery, c, patience, minDelta,
                logEvery, loss, onNonFinite);
    }

    public TrainerConfig withLogEvery(long n) {
        return new TrainerConfig(maxSteps, gradAccumSteps, evalEvery, checkpointEvery, clipNorm, patience, minDelta,
                n, loss, onNonFinite);
    }

    public TrainerConfig withLoss(CrossEntropyOptions o) {
        return new TrainerConfig(maxSteps, gradAccumSteps, evalEvery, checkpointEvery, clipNorm, patience, minDelta,
                logEvery, o, onNonFinite);
    }

    public TrainerConfig withOnNonFinite(OnNonFinite action) {
        return new TrainerConfig(maxSteps, gradAccumSteps, evalEvery, checkpointEvery, clipNorm, patience, minDelta,
                logEvery, loss, action);
    }
}
