package dev.tessera.core;

import dev.tessera.host.HostMemory;
import dev.tessera.host.Parallel;
import dev.tessera.host.Scratch;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.IntConsumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterAdd;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The row gather behind embedding lookups and {@code indexSelect}, and its backward, the row
 * scatter-add. Float32 arrays on ND4J's CPU backend take the fused path: the gather copies each
 * row native-to-native with one bulk buffer transfer, and the scatter-add groups the ids by
 * destination row (a stable counting sort) so that tasks own disjoint destination rows and run in
 * parallel without locks, each row summed in id order exactly as a sequential loop would. Other
 * dtypes (float64: gradient checks), other backends and {@code tessera.kernels=portable} use ND4J's
 * {@code pullRows} and {@code scatter_add} ops, which the fused path is tested against.
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
        INDArray out = Nd4j.zeros(DataType.FLOAT, rows, cols); // (R, C)
        FloatBuffer src = HostMemory.floats(gc);
        FloatBuffer dst = HostMemory.floats(out);
        // tasks take contiguous pieces of `order`, each boundary moved forward to a row change
        int tasks = taskCount(n);
        int[] cut = new int[tasks + 1];
        for (int t = 1; t < tasks; t++) {
            int k = Math.max(cut[t - 1], (int) ((long) n * t / tasks));
            while (k > 0 && k < n && idx[order[k]] == idx[order[k - 1]]) {
                k++;
            }
            cut[t] = k;
        }
        cut[tasks] = n;
        forTasks(tasks, (long) n * cols, task -> {
            float[] acc = Scratch.floats(0, cols);
            float[] row = Scratch.floats(1, cols);
            int k = cut[task];
            while (k < cut[task + 1]) {
                int dest = idx[order[k]];
                Arrays.fill(acc, 0, cols, 0f);
                for (; k < cut[task + 1] && idx[order[k]] == dest; k++) {
                    src.get(order[k] * cols, row, 0, cols);
                    for (int j = 0; j < cols; j++) {
                        acc[j] += row[j];
                    }
                }
                dst.put(dest * cols, acc, 0, cols);
            }
        });
        Reference.reachabilityFence(gc); // the buffers above do not keep their arrays alive
        return out;
    }
}
