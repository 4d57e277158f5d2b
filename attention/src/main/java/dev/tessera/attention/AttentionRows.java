package dev.tessera.attention;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fused row loops of {@link FusedAttention} for float32 score matrices laid out (B, H, Tq, Tk)
 * (row r = (b·H + h)·Tq + i): mask + ALiBi + stable softmax in place, dropout, and the softmax
 * backward. There is no float64 twin: float64 attention runs {@link PortableAttention}, and
 * these loops are tested against it at float tolerance.
 *
 * <p>Performance notes: each row's attended range {@code [lo, hi)} is copied into a per-task
 * {@code float[]} with a bulk buffer read (a memcpy) and the whole row written back the same way
 * (zeros outside the range), so the inner loops run over a Java array that C2 vectorises
 * (except the exponential) and never touch the keys a causal row cannot see; absolute
 * {@code FloatBuffer.get/put} per element was slower (bounds checks on every access). Rows are
 * split into a few tasks per core on the common ForkJoin pool; the work is on ND4J's own
 * buffers, never on {@code INDArray} copies.
 */
final class AttentionRows {
    private AttentionRows() {}

    static FloatBuffer buffer(INDArray dense) {
        return dense.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    interface RowTask {
        void run(int rowStart, int rowEnd, float[] a, float[] b);
    }

    static void parallelRows(int rows, int tk, RowTask task) {
        int tasks = Math.min(rows, Math.max(1, 4 * Runtime.getRuntime().availableProcessors()));
        if (rows * (long) tk < 32_768 || tasks <= 1) {
            task.run(0, rows, new float[tk], new float[tk]);
            return;
        }
        int per = (rows + tasks - 1) / tasks;
        IntStream.range(0, tasks).parallel().forEach(t -> {
            int start = t * per;
            int end = Math.min(rows, start + per);
            if (start < end) {
                task.run(start, end, new float[tk], new float[tk]);
            }
        });
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
        parallelRows(m.batch * m.heads * m.tq, tk, (r0, r1, row, unused) -> {
            for (int r = r0; r < r1; r++) {
                int bh = r / m.tq;
                int i = r - bh * m.tq;
                int b = bh / m.heads;
                int h = bh - b * m.heads;
                int lo = m.lo(i);
                int hi = Math.max(lo, m.hi(b, i));
                int base = r * tk;
                java.util.Arrays.fill(row, 0, lo, 0);
                java.util.Arrays.fill(row, hi, tk, 0);
                s.get(base + lo, row, lo, hi - lo);
                float max = Float.NEGATIVE_INFINITY;
                if (m.slopes != null) {
                    double slope = m.slopes[h];
                    long qpos = i + m.offset;
                    for (int j = lo; j < hi; j++) {
                        row[j] -= slope * Math.abs(qpos - j);
                    }
                }
                if (m.padding == null) {
                    for (int j = lo; j < hi; j++) {
                        max = Math.max(max, row[j]);
                    }
                } else {
                    for (int j = lo; j < hi; j++) {
                        if (m.padding[b * tk + j]) {
                            max = Math.max(max, row[j]);
                        } else {
                            row[j] = Float.NEGATIVE_INFINITY; // exp gives exactly 0 below
                        }
                    }
                }
                if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) {
                    // nothing to attend (or only -inf scores): a zero row, never 0/0
                    java.util.Arrays.fill(row, lo, hi, 0);
                    if (lse != null) {
                        lse[r] = Float.NEGATIVE_INFINITY;
                    }
                    s.put(base, row, 0, tk);
                    continue;
                }
                double sum = 0;
                for (int j = lo; j < hi; j++) {
                    float e = row[j] == Float.NEGATIVE_INFINITY ? 0 : FastExp.exp(row[j] - max);
                    row[j] = e;
                    sum += e;
                }
                float inv = (float) (1.0 / sum);
                for (int j = lo; j < hi; j++) {
                    row[j] *= inv;
                }
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
        parallelRows(m.batch * m.heads * m.tq, tk, (r0, r1, prow, grow) -> {
            for (int r = r0; r < r1; r++) {
                int bh = r / m.tq;
                int i = r - bh * m.tq;
                int b = bh / m.heads;
                int lo = m.lo(i);
                int hi = Math.max(lo, m.hi(b, i));
                int base = r * tk;
                java.util.Arrays.fill(grow, 0, lo, 0);
                java.util.Arrays.fill(grow, hi, tk, 0);
                pb.get(base + lo, prow, lo, hi - lo);
                gb.get(base + lo, grow, lo, hi - lo);
                if (p > 0) {
                    for (int j = lo; j < hi; j++) {
                        grow[j] = DropoutHash.keep(seed, r, j, p) ? grow[j] * scale : 0;
                    }
                }
                double dot = 0;
                for (int j = lo; j < hi; j++) {
                    // masked probabilities are exactly 0: skip them so NaN/Inf gradients there cannot leak
                    if (prow[j] != 0) {
                        dot += prow[j] * grow[j];
                    }
                }
                float d = (float) dot;
                for (int j = lo; j < hi; j++) {
                    grow[j] = prow[j] == 0 ? 0 : prow[j] * (grow[j] - d);
                }
                gb.put(base, grow, 0, tk);
            }
        });
    }
}
