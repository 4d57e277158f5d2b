package dev.tessera.training.distributed;

import dev.tessera.core.Require;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.TrainingListener;

/**
 * What a {@link ReplicaTask} gets from {@link SparkDataParallel}: its rank, the collective over
 * all replicas, the stage attempt (0 first; higher after Spark retried a failed stage, when the
 * task should resume from the last checkpoint) and a listener that reports progress to the driver.
 */
public final class Replica {
    private final Collective collective;
    private final int attempt;
    private final ReplicaMeters meters;

    Replica(Collective collective, int attempt, ReplicaMeters meters) {
        this.collective = collective;
        this.attempt = attempt;
        this.meters = meters;
    }

    public int rank() {
        return collective.rank();
    }

    public int replicas() {
        return collective.worldSize();
    }

    public Collective collective() {
        return collective;
    }

    /** The stage attempt this task belongs to: 0 the first time, 1, 2, ... after whole-stage retries. */
    public int attempt() {
        return attempt;
    }

    /**
     * A training listener that adds each step's tokens, wall time and the exchange's share of it to
     * the driver's accumulators (see {@link ClusterProgress}).
     */
    public TrainingListener progress(GradientExchange exchange) {
        Require.nonNull("exchange", exchange);
        return new TrainingListener() {
            private long exchangeNanos = exchange.nanos();

            @Override
            public void onStep(StepMetrics m) {
                meters.steps.add(1);
                meters.tokens.add(m.tokens());
                meters.stepNanos.add(Math.round(m.seconds() * 1e9));
                meters.exchangeNanos.add(exchange.nanos() - exchangeNanos);
                exchangeNanos = exchange.nanos();
            }
        };
    }
}
