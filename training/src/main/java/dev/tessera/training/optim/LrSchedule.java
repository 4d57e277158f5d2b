package dev.tessera.training.optim;

import dev.tessera.core.Require;

/**
 * A learning-rate schedule; the shapes are documented on {@link ScheduleKind}.
 *
 * @param kind the shape
 * @param peakLr lr after warmup, typical 3e-4 … 1e-3
 * @param minLr the floor reached at {@code totalSteps}, typical peak/10
 * @param warmupSteps W, typical 1–5% of the run
 * @param totalSteps S &gt; W, the run length
 * @param decaySteps D for warmup-stable-decay (0 &lt; D ≤ S − W), ignored otherwise; typical S/10
 */
public record LrSchedule(ScheduleKind kind, double peakLr, double minLr, long warmupSteps, long totalSteps,
        long decaySteps) {
    public LrSchedule {
        Require.nonNull("kind", kind);
        Require.nonNegative("peakLr", peakLr);
        if (!(minLr >= 0 && minLr <= peakLr)) {
            throw new IllegalArgumentException("minLr must be in [0, peakLr=" + peakLr + "] but was " + minLr);
        }
        Require.nonNegative("warmupSteps", warmupSteps);
        if (totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("totalSteps must be > warmupSteps=" + warmupSteps + " but was " + totalSteps);
        }
        if (kind == ScheduleKind.WARMUP_STABLE_DECAY && (decaySteps <= 0 || decaySteps > totalSteps - warmupSteps)) {
            throw new IllegalArgumentException("decaySteps must be in (0, totalSteps - warmupSteps = "
                    + (totalSteps - warmupSteps) + "] but was " + decaySteps);
        }
    }

    /** A constant lr without warmup. */
    public static LrSchedule constant(double lr) {
        return new LrSchedule(ScheduleKind.CONSTANT, lr, lr, 0, Long.MAX_VALUE, 0);
    }

    /** Warmup then cosine to {@code minLr}. */
    public static LrSchedule cosine(double peakLr, double minLr, long warmupSteps, long totalSteps) {
        return new LrSchedule(ScheduleKind.COSINE, peakLr, minLr, warmupSteps, totalSteps, 0);
    }

    /** The lr for 0-based step {@code step}. */
    public double lr(long step) {
        Require.nonNegative("step", step);
        if (step < warmupSteps) {
            return peakLr * (step + 1) / warmupSteps;
        }
        double q = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
        return switch (kind) {
            case CONSTANT -> peakLr;
            case COSINE -> minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * q));
            case LINEAR -> peakLr + (minLr - peakLr) * q;
            case WARMUP_STABLE_DECAY -> {
                long decayStart = totalSteps - decaySteps;
                if (step < decayStart) {
                    yield peakLr;
                }
                double d = Math.min(1.0, (double) (step - decayStart) / decaySteps);
                yield peakLr + (minLr - peakLr) * d;
            }
        };
    }
}
