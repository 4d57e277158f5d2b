package dev.tessera.training.distributed;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.reflect.ClassTag;
import scala.runtime.AbstractFunction1;
import scala.reflect.ClassTag$;

/**
 * Runs a data-parallel job on Spark as one barrier stage: {@code replicas} tasks, gang-scheduled,
 * one long-lived task per replica, each running a {@link ReplicaTask} with a
 * {@link SparkBarrierCollective} over all of them. The cluster needs at least {@code replicas}
 * free task slots.
 *
 * <p>Failure: when one task fails, Spark fails the barrier stage attempt, kills the other tasks (a
 * task waiting in {@code allGather} notices within a second) and reruns the whole stage, up to
 * {@code spark.stage.maxConsecutiveAttempts} (default 4) attempts, with {@link Replica#attempt()}
 * counting up; a task of a later attempt resumes from the last checkpoint and so continues the same
 * run. Spark retries only barrier stages whose output goes into a shuffle (it cannot take back a
 * result stage's output), so the replicas' results pass through a one-partition shuffle to the
 * driver. When the attempts are used up, {@code run} throws.
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
            @SuppressWarnings({"unchecked", "rawtypes"})
            ClassTag<Ranked<R>> tag = (ClassTag) ClassTag$.MODULE$.apply(Ranked.class);
            Object[] results;
            try {
                RDD<Ranked<R>> barrier = ranks.barrier().mapPartitions(new RunReplica<>(task, meters), false, tag);
                results = (Object[]) barrier.repartition(1, null).collect(); // the shuffle makes the stage retryable
            } catch (Exception e) { // Spark throws its checked SparkException from Scala code
                throw new IllegalStateException("the data-parallel job on " + replicas + " replicas failed: "
                        + e.getMessage(), e);
            }
            if (results.length != replicas) {
                throw new IllegalStateException(replicas + " replicas returned " + results.length + " results");
            }
            List<R> out = new ArrayList<>(Collections.nCopies(replicas, (R) null));
            for (Object r : results) {
                @SuppressWarnings("unchecked")
                Ranked<R> ranked = (Ranked<R>) r;
                out.set(ranked.rank(), ranked.result());
            }
            LOG.info("data-parallel job on {} replicas done in {} s", replicas,
                    String.format("%.1f", (System.nanoTime() - t0) / 1e9));
            return out;
        } finally {
            sc.sc().removeSparkListener(progress);
        }
    }

    /** A replica's result and its rank (the shuffle does not keep the partition order). */
    private record Ranked<R extends Serializable>(int rank, R result) implements Serializable {}

    /** The barrier task's body: one replica per partition, the partition index being the rank. */
    private static final class RunReplica<R extends Serializable> extends AbstractFunction1<Iterator<Integer>, Iterator<Ranked<R>>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final ReplicaTask<R> task;
        private final ReplicaMeters meters;

        RunReplica(ReplicaTask<R> task, ReplicaMeters meters) {
            this.task = task;
            this.meters = meters;
        }

        @Override
        public Iterator<Ranked<R>> apply(Iterator<Integer> partition) {
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
            return scala.collection.Iterator$.MODULE$.single(new Ranked<>(collective.rank(), result));
        }
    }
}
