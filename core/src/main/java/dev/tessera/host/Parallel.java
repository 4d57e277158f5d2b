package dev.tessera.host;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Row-parallel loops for host kernels, on one pool sized to the machine (or to
 * {@code Backend.setThreads(n)}). Work below {@link #MIN_PARALLEL_WORK} element-operations stays on
 * the calling thread: starting a task costs a few microseconds, more than a small kernel.
 *
 * <p>The split is static and contiguous (range i of k gets rows [i·n/k, (i+1)·n/k)), so a kernel
 * whose chunks each accumulate into their own partial sums is deterministic for a given thread
 * count.
 */
public final class Parallel {
    /** Element-operations below which a loop runs on the calling thread. */
    public static final long MIN_PARALLEL_WORK = 1L << 15;

    /** A body over rows [from, to), told its chunk index (0-based, below {@link #chunks}). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int chunk, int from, int to);
    }

    private static volatile int threads = Runtime.getRuntime().availableProcessors();
    private static volatile ForkJoinPool pool = newPool(threads);
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private Parallel() {}

    /** The number of threads kernels use (the caller counts as one). */
    public static int threads() {
        return threads;
    }

    /**
     * Sets the kernel thread count (at least 1). Called by {@code Backend.setThreads}, which also sets
     * the BLAS threads; use that one.
     */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        if (n != threads) {
            ForkJoinPool old = pool;
            pool = newPool(n);
            threads = n;
            old.shutdown();
        }
    }

    /** How many chunks {@link #forRows} splits {@code rows} rows of {@code workPerRow} into. */
    public static int chunks(int rows, long workPerRow) {
        int t = threads;
        if (t <= 1 || rows <= 1 || (long) rows * workPerRow < MIN_PARALLEL_WORK) {
            return 1;
        }
        return Math.min(t, rows);
    }

    /**
     * Runs {@code body} over rows [0, rows) split into {@link #chunks(int, long)} contiguous ranges,
     * the first on the calling thread, and returns when all are done. An exception in any chunk is
     * rethrown here.
     */
    public static void forRows(int rows, long workPerRow, RangeBody body) {
        int k = chunks(rows, workPerRow);
        if (k == 1) {
            body.run(0, 0, rows);
            return;
        }
        ForkJoinPool p = pool;
        // Each chunk's own exception is kept and rethrown as it was (join() would wrap a copy).
        Throwable[] errors = new Throwable[k];
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[k - 1];
        for (int c = 1; c < k; c++) {
            int chunk = c;
            int from = (int) ((long) rows * c / k);
            int to = (int) ((long) rows * (c + 1) / k);
            tasks[c - 1] = p.submit(() -> {
                try {
                    body.run(chunk, from, to);
                } catch (Throwable t) {
                    errors[chunk] = t;
                }
            });
        }
        try {
            body.run(0, 0, (int) ((long) rows / k));
        } catch (Throwable t) {
            errors[0] = t;
        }
        for (ForkJoinTask<?> t : tasks) {
            t.join();
        }
        for (Throwable t : errors) {
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }

    private static ForkJoinPool newPool(int n) {
        // n − 1 workers: the calling thread runs the first chunk itself.
        return new ForkJoinPool(Math.max(1, n - 1), p -> {
            var w = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            w.setName("tessera-kernel-" + THREAD_IDS.incrementAndGet());
            w.setDaemon(true);
            return w;
        }, null, false);
    }
}
