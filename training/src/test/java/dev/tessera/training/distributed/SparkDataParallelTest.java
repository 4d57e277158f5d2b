package dev.tessera.training.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.training.checkpoint.CheckpointStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Data-parallel training on Spark {@code local[2]}: two replicas with half the batch each end with
 * the parameters of one process with the whole batch; a failed task fails the stage, which Spark
 * reruns, resuming from rank 0's last checkpoint and ending where the uninterrupted run ends.
 */
class SparkDataParallelTest {
    private static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("tessera-data-parallel-test")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                // a job started right after a failed one waits for the killed task's slot: check again after 1 s, not 15
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s")
                // a failed barrier stage is rerun; twice is enough here
                .set("spark.stage.maxConsecutiveAttempts", "2");
        sc = new JavaSparkContext(conf);
    }

    @AfterAll
    static void stopSpark() {
        if (sc != null) {
            sc.stop();
        }
    }

    @Test
    void twoReplicasWithHalfTheBatchMatchOneProcessFloat64(@TempDir Path dir) throws IOException {
        assertMatchesOneProcess(dir, DataType.DOUBLE, 1e-9);
    }

    @Test
    void twoReplicasWithHalfTheBatchMatchOneProcessFloat32(@TempDir Path dir) throws IOException {
        assertMatchesOneProcess(dir, DataType.FLOAT, 1e-5);
    }

    /** 4 steps, global batch 4 (2 per replica), 2 micro-batches per step, clip 0.05 (active every step). */
    private static void assertMatchesOneProcess(Path dir, DataType dtype, double tolerance) throws IOException {
        TinyRun spec = new TinyRun(TinyRun.writeTokens(dir, 3000).toString(), null, dtype, 4, 4, 2, 0.05, 0, -1, -1, 0);
        TinyRun.Result one = spec.train(null, null, 0);
        List<TinyRun.Result> two = SparkDataParallel.run(sc, 2, spec);
        assertEquals(2, two.size());
        for (double n : one.norms()) {
            assertTrue(n > 0.05, "clipping must act in this test; a global norm was " + n);
        }
        for (TinyRun.Result r : two) {
            assertTrue(relativeDifference(r.params(), one.params()) <= tolerance, "rank " + r.rank()
                    + " parameters differ from one process by " + relativeDifference(r.params(), one.params()));
            assertTrue(relativeDifference(r.norms(), one.norms()) <= tolerance, "rank " + r.rank()
                    + " global gradient norms " + java.util.Arrays.toString(r.norms()) + " vs one process "
                    + java.util.Arrays.toString(one.norms()));
            assertTrue(relativeDifference(r.losses(), one.losses()) <= tolerance, "rank " + r.rank() + " losses");
        }
        // the replicas apply the same update to the same parameters: identical bit for bit
        assertArrayEquals(two.get(0).params(), two.get(1).params());
    }

    @Test
    void aFailedTaskFailsTheStageWhichResumesFromTheLastCheckpointAndEndsWhereTheUninterruptedRunEnds(@TempDir Path dir)
            throws IOException {
        TinyRun base = new TinyRun(TinyRun.writeTokens(dir, 3000).toString(), null, DataType.FLOAT, 6, 4, 1, 1.0, 2, -1,
                -1, 0);
        List<TinyRun.Result> uninterrupted = SparkDataParallel.run(sc, 2, base.withCheckpoints(
                dir.resolve("a").toString(), -1, -1, 0));
        assertEquals(3, uninterrupted.get(0).checkpointsWritten());
        assertEquals(0, uninterrupted.get(1).checkpointsWritten(), "only rank 0 writes checkpoints");

        // rank 1 fails at step 5 of the first attempt: Spark fails the stage and reruns it; attempt 1 restores
        // rank 0's checkpoint of step 4 on both ranks (step 6 was never reached: rank 1 stopped exchanging)
        List<TinyRun.Result> retried = SparkDataParallel.run(sc, 2, base.withCheckpoints(
                dir.resolve("b").toString(), 1, 5, 1));
        for (int r = 0; r < 2; r++) {
            assertEquals(4, retried.get(r).resumedFrom(), "rank " + r + " restores the last checkpoint");
            assertArrayEquals(uninterrupted.get(r).params(), retried.get(r).params(), "rank " + r);
        }
        assertEquals(1, retried.get(0).checkpointsWritten());
        assertEquals(0, retried.get(1).checkpointsWritten());

        // failing in every attempt: the job fails once the stage attempts are used up, naming the failure
        String ckpt = dir.resolve("c").toString();
        RuntimeException failure = assertThrows(RuntimeException.class,
                () -> SparkDataParallel.run(sc, 2, base.withCheckpoints(ckpt, 1, 5, Integer.MAX_VALUE)));
        assertTrue(causes(failure).contains("injected failure of rank 1 at step 5"), causes(failure));
        assertEquals(4, CheckpointStore.load(new CheckpointStore(Path.of(ckpt), 3).list().get(0)).state().step());
        // resuming by hand from there ends where the uninterrupted run ends too
        List<TinyRun.Result> resumed = SparkDataParallel.run(sc, 2, base.withCheckpoints(ckpt, -1, -1, 0));
        for (int r = 0; r < 2; r++) {
            assertEquals(4, resumed.get(r).resumedFrom());
            assertArrayEquals(uninterrupted.get(r).params(), resumed.get(r).params(), "rank " + r);
        }
    }

    /** ‖a − b‖₂ / ‖b‖₂. */
    static double relativeDifference(double[] a, double[] b) {
        assertEquals(b.length, a.length);
        double d = 0;
        double n = 0;
        for (int i = 0; i < a.length; i++) {
            d += (a[i] - b[i]) * (a[i] - b[i]);
            n += b[i] * b[i];
        }
        return Math.sqrt(d / n);
    }

    private static String causes(Throwable t) {
        StringBuilder s = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            s.append(c).append(" <- ");
        }
        return s.toString();
    }
}
