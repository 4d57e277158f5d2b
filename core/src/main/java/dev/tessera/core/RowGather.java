package dev.tessera.core;

import dev.tessera.host.HostMemory;
import dev.tessera.host.Parallel;
import dev.tessera.host.Scratch;
import dev.tessera.host.Simd;
import dev.tessera.host.SimdOps;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.IntConsumer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterAdd;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The row gather behind embedding lookups and {@code indexSelect}, and its backward, the row
 * scatter-add. Float32 arrays on ND4J's CPU backend take the fused path, which allocates no fresh
 * ND4J memory where the pool is on ({@link HostMemory#newFloats}): the gather copies each row
 * native-to-native with one bulk buffer transfer into an uninitialised output; the scatter-add
 * groups the ids by destination row (a stable counting sort) and splits the destination rows into
 * contiguous ranges of about equal work, so that tasks own disjoint rows and run in parallel
 * without locks. A task writes every row of its range once: zeros for rows no id hits (one memset
 * per run of them), for the others the first gradient row plus the rest added in id order
 * ({@link SimdOps#add}), so the result has the same bits whatever the number of tasks. Other
 * dtypes (float64: gradient checks), other backends and {@code tessera.kernels=portable} use
 * ND4J's {@code pullRows} and {@code scatter_add} ops, which the fused path is tested against.
 */
final class RowGather {
    private RowGather() {}

    private static boolean fused(INDArray x) {
        return x.dataType() == DataType.FLOAT && HostMemory.available() && x.length() < Integer.MAX_VALUE;
    }

    /** Runs {@code body(t)} for t in [0, tasks) on {@link Parallel}'s threads when the work is large. */
    private static void forTasks(int tasks, long elements, IntConsumer body) {
        Parallel.forRows(tasks, Math.max(1, elements / tasks), (chunk, from, to) -> {
            for (int t = from; t < to; t++) {
                body.accept(t);
            }
        });
    }

    private static int taskCount(int n) {
        return Math.max(1, Math.min(n, Parallel.threads()));
    }

    /**
     * Rows {@code idx} of {@code table}: a new (idx.length, C) array.
     *
     * @param table R·C elements in any shape whose row-major order is (R, C) (not reshaped by the
     *     caller: a reshaped view would be copied); ids already checked to lie in [0, R)
     */
    static INDArray gather(INDArray table, long rows, int cols, int[] idx) {
        INDArray t = HostMemory.dense(table);
        if (!fused(t)) {
            return Nd4j.pullRows(t.reshape('c', rows, cols), 1, idx);
        }
        int n = idx.length;
        int c = cols;
        INDArray out = HostMemory.newFloats(n, c); // (N, C)
        if (out.length() == 0) {
            return out;
        }
        FloatBuffer src = HostMemory.floats(t);
        FloatBuffer dst = HostMemory.floats(out);
        int tasks = taskCount(n);
        int per = (n + tasks - 1) / tasks;
        forTasks(tasks, (long) n * c, task -> {
            int end = Math.min(n, (task + 1) * per);
            for (int i = task * per; i < end; i++) {
                dst.put(i * c, src, idx[i] * c, c); // absolute bulk copy: neither buffer's position moves
            }
        });
        Reference.reachabilityFence(t); // the buffers above do not keep their arrays alive
        return out;
    }

    /**
     * Σ rows: a new (rows, cols) array with result[idx[i]] += g[i].
     *
     * @param g idx.length·cols elements whose row-major order is (idx.length, cols), any shape
     */
    static INDArray scatterAdd(INDArray g, int[] idx, long rows, int cols) {
        INDArray gc = HostMemory.dense(g); // (N, C) in row-major order, any shape
        if (!fused(gc)) {
            INDArray out = Nd4j.zeros(g.dataType(), rows, cols);
            if (idx.length == 0) {
                return out;
            }
            // scatter_add writes its result as the op's output (not into `out` in place); without its
            // lock argument it updates rows in parallel and races on repeated ids
            ScatterAdd op = new ScatterAdd(out, Nd4j.createFromArray(idx), gc.reshape('c', idx.length, cols));
            op.addBArgument(true);
            return Nd4j.exec(op)[0];
        }
        int r = Math.toIntExact(rows);
        Math.toIntExact(rows * cols); // the buffers below are int-indexed
        int n = idx.length;
        if (n == 0 || rows * cols == 0) {
            return HostMemory.zeros(DataType.FLOAT, rows, cols); // (R, C): nothing to add
        }
        // stable counting sort of the positions i by destination row: order[from[row] .. from[row + 1])
        int[] from = new int[r + 1];
        for (int id : idx) {
            from[id + 1]++;
        }
        for (int row = 0; row < r; row++) {
            from[row + 1] += from[row];
        }
        int[] order = new int[n];
        int[] next = Arrays.copyOf(from, r);
        for (int i = 0; i < n; i++) {
            order[next[idx[i]]++] = i;
        }
        // Uninitialised (pooled where the pool is on): every row is written below, with a sum or zeros.
        INDArray out = HostMemory.newFloats(rows, cols); // (R, C)
        FloatBuffer src = HostMemory.floats(gc);
        long base = out.data().addressPointer().address(); // for the memset of untouched rows
        FloatBuffer dst = HostMemory.floats(out);
        SimdOps ops = Simd.ops();
        int[] rowCut = rowRanges(from, taskCount(r));
        forTasks(rowCut.length - 1, ((long) n + r) * cols, task -> {
            float[] acc = Scratch.floats(0, cols);
            float[] row = Scratch.floats(1, cols);
            int end = rowCut[task + 1];
            for (int q = rowCut[task]; q < end; ) {
                if (from[q] == from[q + 1]) {
                    int run = q + 1; // untouched rows q .. run - 1: zeroed with one memset
                    while (run < end && from[run] == from[run + 1]) {
                        run++;
                    }
                    zero(base + (long) q * cols * Float.BYTES, (long) (run - q) * cols * Float.BYTES);
                    q = run;
                    continue;
                }
                if (from[q + 1] - from[q] == 1) { // one id: its gradient row is the sum, copied native to native
                    dst.put(q * cols, src, order[from[q]] * cols, cols);
                    q++;
                    continue;
                }
                // the first contribution is copied, the rest added in id order: the bits of a
                // sequential 0 + g[i0] + g[i1] + ... whatever the number of tasks
                src.get(order[from[q]] * cols, acc, 0, cols);
                for (int k = from[q] + 1; k < from[q + 1]; k++) {
                    src.get(order[k] * cols, row, 0, cols);
                    ops.add(row, 0, acc, 0, cols);
                }
                dst.put(q * cols, acc, 0, cols);
                q++;
            }
        });
        Reference.reachabilityFence(gc); // the buffers above do not keep their arrays alive
        Reference.reachabilityFence(out);
        return out;
    }

    /** Sets {@code bytes} bytes at address {@code at} to zero. */
    private static void zero(long at, long bytes) {
        Pointer.memset(new Pointer() {
            {
                address = at; // the Pointer's own field (a parameter named address would be shadowed by it)
            }
        }, 0, bytes);
    }

    /**
     * Splits the destination rows [0, R) into at most {@code tasks} contiguous ranges of about equal
     * work, a row costing one row of writes plus one row of reads per id that lands in it (an
     * untouched row is zeroed, a touched one summed): the cost before row q is {@code q + from[q]}.
     *
     * @param from the counting sort's offsets, R + 1 of them
     * @return range boundaries: range t is [cut[t], cut[t + 1]), cut[0] = 0, last = R
     */
    static int[] rowRanges(int[] from, int tasks) {
        int r = from.length - 1;
        long total = (long) r + from[r];
        int[] cut = new int[tasks + 1];
        for (int t = 1; t < tasks; t++) {
            long target = total * t / tasks;
            int lo = cut[t - 1];
            int hi = r;
            while (lo < hi) { // the first row q with q + from[q] >= target (q + from[q] increases with q)
                int mid = (lo + hi) >>> 1;
                if ((long) mid + from[mid] >= target) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            cut[t] = lo;
        }
        cut[tasks] = r;
        return cut;
    }
}
