package dev.tessera.attention;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The fused row loops of {@link FusedAttention} for float32 score matrices laid out (B, H, Tq, Tk)
 * (row r = (b·H + h)·Tq + i): mask + ALiBi + stable softmax in place, dropout, and the softmax
 * backward. {@code AttentionRowsDouble} is the same code for float64 with {@code Math.exp} for {@link FastExp} (generated from this file by
 * replacing the element type; keep the two in step).
 *
 * <p>Performance notes: each row is copied into a per-task {@code float[]} with a bulk buffer
 * read (a memcpy) and written back the same way, so the inner loops run over a Java array that C2
 * vectorises (except {@code Math.exp}); absolute {@code FloatBuffer.get/put} per element was
 * slower (bounds checks on every access). Rows are split into a few tasks per core on the common
 * ForkJoin pool; the work is on ND4J's own buffers, never on {@code INDArray} copies.
 */
final class AttentionRowsFloat {
    private AttentionRowsFloat() {}

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
     * zeros. When {@code lse} is not null it receives each row's log-sum-exp (−∞ for empty rows).
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
                int hi = m.hi(b, i);
                int base = r * tk;
                s.get(base, row, 0, tk);
                float max = Float.NEGATIVE_INFINITY;
                if (m.slopes != null) {
                    double slope = m.slopes[h];
                    long qpos = i + m.offset;
                    for (int j = lo; j < hi; j++) {
                        row[j] -= slope * Math.abs(qpos - j);
                    }
                }
                for (int j = lo; j < hi; j++) {
                    if (m.padding == null || m.padding[b * tk + j]) {
                        max = Math.max(max, row[j]);
                    }
                }
                if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) {
                    // nothing to attend (or only -inf scores): a zero row, never 0/0
                    java.util.Arrays.fill(row, 0, tk, 0);
                    if (lse != null) {
                        lse[r] = Float.NEGATIVE_INFINITY;
                    }
                    s.put(base, row, 0, tk);
                    continue;
                }
                for (int j = 0; j < lo; j++) {
                    row[j] = 0;
                }
                for (int j = hi; j < tk; j++) {
                    row[j] = 0;
                }
                double sum = 0;
                for (int j = lo; j < hi; j++) {
                    if (m.padding == null || m.padding[b * tk + j]) {
                        float e = FastExp.exp(row[j] - max);
                        row[j] = e;
                        sum += e;
                    } else {
                        row[j] = 0;
                    }
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
     * {@code dP = grad ⊙ keep/(1−p)}, {@code dS = P ⊙ (dP − Σ_j P·dP)}. Masked entries get 0.
     */
    static void softmaxBackward(INDArray probs, INDArray grad, MaskPlan m, long seed, double p) {
        FloatBuffer pb = buffer(probs);
        FloatBuffer gb = buffer(grad);
        int tk = m.tk;
        float scale = p > 0 ? (float) (1.0 / (1.0 - p)) : 1;
        parallelRows(m.batch * m.heads * m.tq, tk, (r0, r1, prow, grow) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * tk;
                pb.get(base, prow, 0, tk);
                gb.get(base, grow, 0, tk);
                if (p > 0) {
                    for (int j = 0; j < tk; j++) {
                        grow[j] = DropoutHash.keep(seed, r, j, p) ? grow[j] * scale : 0;
                    }
                }
                double dot = 0;
                for (int j = 0; j < tk; j++) {
                    // masked probabilities are exactly 0: skip them so NaN/Inf gradients there cannot leak
                    if (prow[j] != 0) {
                        dot += prow[j] * grow[j];
                    }
                }
                float d = (float) dot;
                for (int j = 0; j < tk; j++) {
                    grow[j] = prow[j] == 0 ? 0 : prow[j] * (grow[j] - d);
                }
                gb.put(base, grow, 0, tk);
            }
        });
    }
}
