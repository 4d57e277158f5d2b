package dev.tessera.attention;

import dev.tessera.host.HostMemory;
import dev.tessera.host.Parallel;
import dev.tessera.host.Scratch;
import dev.tessera.host.Simd;
import dev.tessera.host.SimdOps;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fused row loops of {@link FusedAttention} for float32 score matrices laid out (B, H, Tq, Tk)
 * (row r = (b·H + h)·Tq + i): mask + ALiBi + stable softmax in place, dropout, and the softmax
 * backward. There is no float64 twin: float64 attention runs {@link PortableAttention}, and
 * these loops are tested against it at float tolerance.
 *
 * <p>Performance notes: each row's attended range {@code [lo, hi)} is copied into a per-thread
 * {@link Scratch} array with a bulk buffer read (a memcpy) and the whole row written back the same
 * way (zeros outside the range), so the loops never touch the keys a causal row cannot see; the
 * max, exp-and-sum, scale and dot run as {@link SimdOps} row primitives (Vector API where the JVM
 * has it), the rest as plain loops over the array that C2 vectorises. Rows are split across
 * {@link Parallel}'s threads; the work is on ND4J's own buffers, never on {@code INDArray} copies.
 */
final class AttentionRows {
    private AttentionRows() {}

    /**
     * The float view of a dense float32 array's memory; callers keep the array reachable while they
     * use it (every caller here holds it in a local used after the loop, or a field).
     */
    static FloatBuffer buffer(INDArray dense) {
        return HostMemory.floats(dense);
    }

    interface RowTask {
        void run(int rowStart, int rowEnd, float[] a, float[] b);
    }

    /**
     * Runs {@code task} over rows [0, rows) of width {@code width} on {@link Parallel}'s threads,
     * each range with two of its thread's {@link Scratch} arrays of at least {@code width} floats.
     */
    static void parallelRows(int rows, int width, RowTask task) {
        Parallel.forRows(rows, 4L * width, (chunk, from, to) ->
                task.run(from, to, Scratch.floats(0, width), Scratch.floats(1, width)));
    }

    /**
     * In place: scores → probabilities; masked keys get 0 and a row with no allowed key is all
     * zeros. Entries right of the row's last allowed key are never read (the blocked GEMMs leave
     * them unwritten). When {@code lse} is not null it receives each row's log-sum-exp (−∞ for
     * empty rows).
     */
    static void softmax(INDArray scores, MaskPlan m, float[] lse) {
        FloatBuffer s = buffer(scores);
        int tk = m.tk;
        SimdOps ops = Simd.ops();
        parallelRows(m.batch * m.heads * m.tq, tk, (r0, r1, row, unused) -> {
            for (int r = r0; r < r1; r++) {
                int bh = r / m.tq;
                int i = r - bh * m.tq;
                int b = bh / m.heads;
                int h = bh - b * m.heads;
                int lo = m.lo(i);
                int hi = Math.max(lo, m.hi(b, i));
                int base = r * tk;
                Arrays.fill(row, 0, lo, 0);
                Arrays.fill(row, hi, tk, 0);
                s.get(base + lo, row, lo, hi - lo);
                if (m.slopes != null) {
                    double slope = m.slopes[h];
                    long qpos = i + m.offset;
                    for (int j = lo; j < hi; j++) {
                        row[j] -= slope * Math.abs(qpos - j);
                    }
                }
                if (m.padding != null) {
                    for (int j = lo; j < hi; j++) {
                        if (!m.padding[b * tk + j]) {
                            row[j] = Float.NEGATIVE_INFINITY; // exp gives exactly 0 below
                        }
                    }
                }
                float max = ops.max(row, lo, hi - lo);
                if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) {
                    // nothing to attend (or only -inf scores): a zero row, never 0/0
                    Arrays.fill(row, lo, hi, 0);
                    if (lse != null) {
                        lse[r] = Float.NEGATIVE_INFINITY;
                    }
                    s.put(base, row, 0, tk);
                    continue;
                }
                float sum = ops.expShift(row, lo, hi - lo, max, row, lo); // ≥ 1: the max itself gives exp(0)
                ops.scale(row, lo, hi - lo, 1 / sum);
                if (lse != null) {
                    lse[r] = (float) (max + Math.log(sum));
                }
                s.put(base, row, 0, tk);
            }
        });
    }

    /** dst = probs ⊙ keep / (1 − p), with keep from {@link DropoutHash}. */
    static void dropout(INDArray probs, INDArray dst, MaskPlan m, long seed, double p) {
        FloatBuffer src = buffer(probs);
        FloatBuffer out = buffer(dst);
        int tk = m.tk;
        float scale = (float) (1.0 / (1.0 - p));
        parallelRows(m.batch * m.heads * m.tq, tk, (r0, r1, row, unused) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * tk;
                src.get(base, row, 0, tk);
                for (int j = 0; j < tk; j++) {
                    row[j] = DropoutHash.keep(seed, r, j, p) ? row[j] * scale : 0;
                }
                out.put(base, row, 0, tk);
            }
        });
    }

    /**
     * In place: {@code grad} holds dL/d(dropped probabilities) on entry and dL/d(scores) on exit:
     * {@code dP = grad ⊙ keep/(1−p)}, {@code dS = P ⊙ (dP − Σ_j P·dP)}. Masked entries get 0, and
     * entries outside a row's attended range are written without being read.
     */
    static void softmaxBackward(INDArray probs, INDArray grad, MaskPlan m, long seed, double p) {
        FloatBuffer pb = buffer(probs);
        FloatBuffer gb = buffer(grad);
        int tk = m.tk;
        float scale = p > 0 ? (float) (1.0 / (1.0 - p)) : 1;
        SimdOps ops = Simd.ops();
        parallelRows(m.batch * m.heads * m.tq, tk, (r0, r1, prow, grow) -> {
            for (int r = r0; r < r1; r++) {
                int bh = r / m.tq;
                int i = r - bh * m.tq;
                int b = bh / m.heads;
                int lo = m.lo(i);
                int hi = Math.max(lo, m.hi(b, i));
                int base = r * tk;
                Arrays.fill(grow, 0, lo, 0);
                Arrays.fill(grow, hi, tk, 0);
                pb.get(base + lo, prow, lo, hi - lo);
                gb.get(base + lo, grow, lo, hi - lo);
                if (p > 0) {
                    for (int j = lo; j < hi; j++) {
                        grow[j] = DropoutHash.keep(seed, r, j, p) ? grow[j] * scale : 0;
                    }
                }
                for (int j = lo; j < hi; j++) {
                    // masked probabilities are exactly 0: clear the gradient there so NaN/Inf cannot leak
                    grow[j] = prow[j] == 0 ? 0 : grow[j];
                }
                float d = ops.dot(prow, lo, grow, lo, hi - lo);
                for (int j = lo; j < hi; j++) {
                    grow[j] = prow[j] * (grow[j] - d);
                }
                gb.put(base, grow, 0, tk);
            }
        });
    }
}
