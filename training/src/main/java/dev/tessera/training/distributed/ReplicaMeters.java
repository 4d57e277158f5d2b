package dev.tessera.training.distributed;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * Spark accumulators through which the replicas' progress reaches the driver: each task adds its
 * steps, tokens, step time and exchange time; executors report a running task's values with every
 * heartbeat ({@code spark.executor.heartbeatInterval}) and the final ones when it ends, and
 * {@link ClusterProgress} turns them into log lines.
 */
final class ReplicaMeters implements Serializable {
    private static final long serialVersionUID = 1L;

    final LongAccumulator steps;
    final LongAccumulator tokens;
    final LongAccumulator stepNanos;
    final LongAccumulator exchangeNanos;

    private ReplicaMeters(SparkContext sc) {
        steps = sc.longAccumulator("tessera.steps");
        tokens = sc.longAccumulator("tessera.tokens");
        stepNanos = sc.longAccumulator("tessera.stepNanos");
        exchangeNanos = sc.longAccumulator("tessera.exchangeNanos");
    }

    /** New accumulators registered with the driver's context. */
    static ReplicaMeters register(SparkContext sc) {
        return new ReplicaMeters(sc);
    }

    /** Index 0..3 (steps, tokens, step ns, exchange ns) of an accumulator id, or -1 when it is none of these. */
    int indexOf(long accumulatorId) {
        if (accumulatorId == steps.id()) {
            return 0;
        }
        if (accumulatorId == tokens.id()) {
            return 1;
        }
        if (accumulatorId == stepNanos.id()) {
            return 2;
        }
        return accumulatorId == exchangeNanos.id() ? 3 : -1;
    }
}
