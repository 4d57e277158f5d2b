package dev.tessera.training.distributed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Runs a data-parallel job on Spark as one barrier stage: {@code replicas} tasks, gang-scheduled,
 * one long-lived task per replica, each running a {@link ReplicaTask} with a
 * {@link SparkBarrierCollective} over all of them. The cluster needs at least {@code replicas}
 * free task slots.
 *
 * <p>Failure: when one task fails, Spark aborts the barrier stage and kills the others (a task
 * waiting in {@code allGather} notices within a second). With {@code spark.task.maxFailures} (or
 * {@code local[N,F]}) above 1 Spark reruns the whole stage with {@link Replica#attempt()} + 1;
 * otherwise {@code run} throws. Either way a task that resumes from the last checkpoint continues
 * the same run.
 */
public final class SparkDataParallel {
    private static final Logger LOG = LoggerFactory.getLogger(SparkDataParallel.class);

    private SparkDataParallel() {}

    /**
     * Runs {@code task} on {@code replicas} barrier tasks and returns their results by rank. Logs
     * progress from the driver while it runs ({@link ClusterProgress}).
     *
     * @throws IllegalStateException when the stage fails for good (the cause is Spark's exception,
     *     whose message names the failed task and its error)
     */
    public static <R extends Serializable> List<R> run(JavaSparkContext sc, int replicas, ReplicaTask<R> task) {
        if (sc == null || task == null) {
            throw new IllegalArgumentException("sc and task must not be null");
        }
        if (replicas < 1) {
            throw new IllegalArgumentException("replicas must be >= 1 but was " + replicas);
        }
        ReplicaMeters meters = ReplicaMeters.register(sc.sc());
        ClusterProgress progress = new ClusterProgress(meters);
        sc.sc().addSparkListener(progress);
        long t0 = System.nanoTime();
        try {
            RDD<Integer> ranks = sc.parallelize(IntStream.range(0, replicas).boxed().toList(), replicas).rdd();
            ClassTag<R> tag = ClassTag$.MODULE$.apply(Object.class);
            Object[] results;
            try {
                results = (Object[]) ranks.barrier().mapPartitions(new RunReplica<>(task, meters), false, tag).collect();
            } catch (Exception e) { // Spark throws its checked SparkException from Scala code
                throw new IllegalStateException("the data-parallel job on " + replicas + " replicas failed: "
                        + e.getMessage(), e);
            }
            if (results.length != replicas) {
                throw new IllegalStateException(replicas + " replicas returned " + results.length + " results");
            }
            List<R> out = new ArrayList<>(replicas);
            for (Object r : results) {
                @SuppressWarnings("unchecked")
                R typed = (R) r;
                out.add(typed);
            }
            LOG.info("data-parallel job on {} replicas done in {} s", replicas,
                    String.format("%.1f", (System.nanoTime() - t0) / 1e9));
            return out;
        } finally {
            sc.sc().removeSparkListener(progress);
        }
    }

    /** The barrier task's body: one replica per partition, the partition index being the rank. */
    private static final class RunReplica<R extends Serializable> extends AbstractFunction1<Iterator<Integer>, Iterator<R>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final ReplicaTask<R> task;
        private final ReplicaMeters meters;

        RunReplica(ReplicaTask<R> task, ReplicaMeters meters) {
            this.task = task;
            this.meters = meters;
        }

        @Override
        public Iterator<R> apply(Iterator<Integer> partition) {
            BarrierTaskContext context = BarrierTaskContext.get();
            SparkBarrierCollective collective = new SparkBarrierCollective(context);
            R result;
            try {
                result = task.run(new Replica(collective, context.stageAttemptNumber(), meters));
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("replica " + collective.rank() + " failed: " + e.getMessage(), e);
            }
            return scala.collection.Iterator$.MODULE$.single(result);
        }
    }
}
