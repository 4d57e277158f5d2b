package dev.tessera.training.distributed;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple4;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Driver-side progress of a data-parallel job: reads the replicas' {@link ReplicaMeters} from the
 * executors' heartbeats (running tasks) and from each task's end, and logs the cluster's tokens
 * per second and every worker's step and exchange time since the previous report.
 *
 * <p>Tokens per second across the cluster come from rank 0, whose token count is the global
 * batch's (the trainer sums the valid-target count over the replicas).
 */
final class ClusterProgress extends SparkListener {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterProgress.class);

    /** A replica's accumulated meters at one moment. */
    record Sample(long nanoTime, long steps, long tokens, long stepNanos, long exchangeNanos) {
        double msPerStep(Sample before) {
            long n = steps - before.steps;
            return n == 0 ? Double.NaN : (stepNanos - before.stepNanos) / 1e6 / n;
        }

        double exchangeMsPerStep(Sample before) {
            long n = steps - before.steps;
            return n == 0 ? Double.NaN : (exchangeNanos - before.exchangeNanos) / 1e6 / n;
        }
    }

    private final ReplicaMeters meters;
    private final Map<Long, Integer> rankOfTask = new ConcurrentHashMap<>();
    private final Map<Integer, Sample> latest = new ConcurrentHashMap<>();
    private final long start = System.nanoTime();

    ClusterProgress(ReplicaMeters meters) {
        this.meters = meters;
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart e) {
        rankOfTask.put(e.taskInfo().taskId(), e.taskInfo().index());
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate e) {
        for (Tuple4<Object, Object, Object, Seq<AccumulableInfo>> u : CollectionConverters.asJava(e.accumUpdates())) {
            Integer rank = rankOfTask.get((Long) u._1());
            if (rank != null) {
                update(rank, u._4(), "");
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        Integer rank = rankOfTask.get(e.taskInfo().taskId());
        if (rank != null) {
            update(rank, e.taskInfo().accumulables(), " (task ended: " + e.reason() + ")");
        }
    }

    private void update(int rank, Seq<AccumulableInfo> infos, String note) {
        long[] v = new long[4];
        boolean any = false;
        for (AccumulableInfo a : CollectionConverters.asJava(infos)) {
            int i = meters.indexOf(a.id());
            if (i >= 0 && a.update().isDefined()) {
                v[i] = ((Number) a.update().get()).longValue();
                any = true;
            }
        }
        if (!any) {
            return;
        }
        Sample now = new Sample(System.nanoTime(), v[0], v[1], v[2], v[3]);
        Sample before = latest.put(rank, now);
        Sample zero = new Sample(start, 0, 0, 0, 0);
        if (!note.isEmpty()) { // the task ended: its averages over the whole task
            LOG.info(String.format("rank %d: %d steps, %.1f ms/step of which exchange %.1f ms%s", rank, now.steps(),
                    now.msPerStep(zero), now.exchangeMsPerStep(zero), note));
            return;
        }
        if (before == null) {
            before = zero;
        }
        if (now.steps() == before.steps()) {
            return;
        }
        String cluster = "";
        if (rank == 0 && now.nanoTime() > before.nanoTime()) {
            cluster = String.format(", cluster %.0f tokens/s", (now.tokens() - before.tokens()) / ((now.nanoTime()
                    - before.nanoTime()) / 1e9));
        }
        LOG.info(String.format("rank %d: step %d, %.1f ms/step of which exchange %.1f ms%s", rank, now.steps(),
                now.msPerStep(before), now.exchangeMsPerStep(before), cluster));
    }
}
