package dev.tessera.attention;

import dev.tessera.host.Simd;
import dev.tessera.host.SimdOps;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Row loops of {@link TiledAttention} for float32, over one (query block × key block) tile of all
 * B·H heads at once: scores laid out (BH, nq, nk). There is no float64 twin (float64 attention runs
 * {@link PortableAttention}). Rows without padding, ALiBi or dropout (the common causal case) run
 * their max and exp-and-sum as {@link SimdOps} primitives (Vector API where the JVM has it); the
 * others keep the scalar loop with {@link FastExp}.
 */
final class TiledRows {
    private TiledRows() {}

    /**
     * Online-softmax update for one tile (FlashAttention-2, forward): per row, the new running max
     * {@code m'}, the correction {@code exp(m − m')} applied to the running sum and to the output
     * accumulator rows in {@code out}, and the tile's unnormalised probabilities written over the
     * scores (after dropout, which does not enter the running sum).
     */
    static void forwardTile(INDArray scores, int heads, int tq, int nq, int nk, int qb, int kb, MaskPlan m,
            float[] runMax, float[] runSum, INDArray out, int dv, long seed, double p) {
        FloatBuffer s = AttentionRows.buffer(scores);
        FloatBuffer o = AttentionRows.buffer(out);
        float dropScale = p > 0 ? (float) (1.0 / (1.0 - p)) : 1;
        int rows = runMax.length;
        // Without padding, ALiBi or dropout every key in [lo, hi) counts unchanged: the row's max and
        // exp-and-sum run as SimdOps primitives (Vector API where present) over that range.
        boolean plain = m.padding == null && m.slopes == null && p == 0;
        SimdOps ops = Simd.ops();
        AttentionRows.parallelRows(rows, Math.max(nk, dv), (r0, r1, row, acc) -> {
            for (int r = r0; r < r1; r++) {
                int bh = r / nq;
                int i = qb + r - bh * nq;
                int b = bh / heads;
                int h = bh - b * heads;
                int lo = Math.min(nk, Math.max(m.lo(i) - kb, 0)); // a window may start past this tile
                int hi = Math.max(lo, Math.min(m.hi(b, i) - kb, nk));
                int base = r * nk;
                s.get(base, row, 0, nk);
                float max = runMax[r];
                if (plain) {
                    max = hi > lo ? Math.max(max, ops.max(row, lo, hi - lo)) : max;
                    if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) {
                        Arrays.fill(row, 0, nk, 0);
                        s.put(base, row, 0, nk);
                        continue;
                    }
                    float corr = runMax[r] == Float.NEGATIVE_INFINITY ? 0 : FastExp.exp(runMax[r] - max);
                    float sum = ops.expShift(row, lo, hi - lo, max, row, lo);
                    Arrays.fill(row, 0, lo, 0);
                    Arrays.fill(row, hi, nk, 0);
                    s.put(base, row, 0, nk);
                    runSum[r] = runSum[r] * corr + sum;
                    runMax[r] = max;
                    if (corr != 1) {
                        rescale(o, (int) (((long) bh * tq + i) * dv), dv, corr, acc);
                    }
                    continue;
                }
                for (int j = lo; j < hi; j++) {
                    if (m.real(b, kb + j)) {
                        if (m.slopes != null) {
                            row[j] -= m.slopes[h] * Math.abs(i + m.offset - (kb + j));
                        }
                        max = Math.max(max, row[j]);
                    }
                }
                if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) {
                    Arrays.fill(row, 0, nk, 0);
                    s.put(base, row, 0, nk);
                    continue;
                }
                float corr = runMax[r] == Float.NEGATIVE_INFINITY ? 0 : FastExp.exp(runMax[r] - max);
                double sum = 0;
                long grow = (long) bh * tq + i;
                for (int j = 0; j < nk; j++) {
                    float e = 0;
                    if (j >= lo && j < hi && m.real(b, kb + j)) {
                        e = FastExp.exp(row[j] - max);
                        sum += e;
                        if (p > 0) {
                            e = DropoutHash.keep(seed, grow, kb + j, p) ? e * dropScale : 0;
                        }
                    }
                    row[j] = e;
                }
                s.put(base, row, 0, nk);
                runSum[r] = (float) (runSum[r] * corr + sum);
                runMax[r] = max;
                if (corr != 1) {
                    rescale(o, (int) (grow * dv), dv, corr, acc);
                }
            }
        });
    }

    /** o[at, at + n) *= factor, through the scratch row {@code acc}. */
    private static void rescale(FloatBuffer o, int at, int n, float factor, float[] acc) {
        o.get(at, acc, 0, n);
        for (int c = 0; c < n; c++) {
            acc[c] *= factor;
        }
        o.put(at, acc, 0, n);
    }

    /** Divides the accumulated rows by the running sums (empty rows stay 0) and records the log-sum-exp. */
    static void finish(INDArray out, int tq, int nq, int qb, int dv, float[] runMax, float[] runSum, float[] lse) {
        FloatBuffer o = AttentionRows.buffer(out);
        AttentionRows.parallelRows(runMax.length, dv, (r0, r1, acc, unused) -> {
            for (int r = r0; r < r1; r++) {
                int bh = r / nq;
                int i = qb + r - bh * nq;
                int grow = bh * tq + i;
                if (runSum[r] == 0) {
                    lse[grow] = Float.NEGATIVE_INFINITY;
                    continue; // the accumulator row was never written: still 0
                }
                float inv = 1 / runSum[r];
                o.get(grow * dv, acc, 0, dv);
                for (int c = 0; c < dv; c++) {
                    acc[c] *= inv;
                }
                o.put(grow * dv, acc, 0, dv);
                lse[grow] = (float) (runMax[r] + Math.log(runSum[r]));
            }
        });
    }

    /**
     * Backward for one tile, recomputing the probabilities from the saved log-sum-exp: on exit
     * {@code scores} holds P after dropout (for dV += Pᵀ dO) and {@code grad}, which held
     * dO·Vᵀ, holds dL/d(scaled scores) = P ⊙ (dP − D) with D = rowsum(dO ⊙ O).
     */
    static void backwardTile(INDArray scores, INDArray grad, int heads, int tq, int nq, int nk, int qb, int kb,
            MaskPlan m, float[] lse, float[] dsum, long seed, double p) {
        FloatBuffer s = AttentionRows.buffer(scores);
        FloatBuffer gb = AttentionRows.buffer(grad);
        float dropScale = p > 0 ? (float) (1.0 / (1.0 - p)) : 1;
        boolean plain = m.padding == null && m.slopes == null && p == 0; // as in forwardTile
        SimdOps ops = Simd.ops();
        AttentionRows.parallelRows(heads * m.batch * nq, nk, (r0, r1, row, grow) -> {
            for (int r = r0; r < r1; r++) {
                int bh = r / nq;
                int i = qb + r - bh * nq;
                int b = bh / heads;
                int h = bh - b * heads;
                int lo = Math.min(nk, Math.max(m.lo(i) - kb, 0)); // a window may start past this tile
                int hi = Math.min(m.hi(b, i) - kb, nk);
                int base = r * nk;
                int global = bh * tq + i;
                float l = lse[global];
                s.get(base, row, 0, nk);
                gb.get(base, grow, 0, nk);
                float d = dsum[global];
                if (plain) {
                    int end = l == Float.NEGATIVE_INFINITY ? lo : Math.max(lo, hi); // empty row: no key
                    ops.expShift(row, lo, end - lo, l, row, lo); // P = exp(s − lse)
                    for (int j = lo; j < end; j++) {
                        float pj = row[j];
                        grow[j] = pj == 0 ? 0 : pj * (grow[j] - d);
                    }
                    Arrays.fill(row, 0, lo, 0);
                    Arrays.fill(row, end, nk, 0);
                    Arrays.fill(grow, 0, lo, 0);
                    Arrays.fill(grow, end, nk, 0);
                    s.put(base, row, 0, nk);
                    gb.put(base, grow, 0, nk);
                    continue;
                }
                for (int j = 0; j < nk; j++) {
                    float pj = 0;
                    if (l != Float.NEGATIVE_INFINITY && j >= lo && j < hi && m.real(b, kb + j)) {
                        float sj = row[j];
                        if (m.slopes != null) {
                            sj -= m.slopes[h] * Math.abs(i + m.offset - (kb + j));
                        }
                        pj = FastExp.exp(sj - l);
                    }
                    boolean kept = p == 0 || DropoutHash.keep(seed, global, kb + j, p);
                    float scale = kept ? dropScale : 0;
                    grow[j] = pj == 0 ? 0 : pj * (grow[j] * scale - d);
                    row[j] = pj * scale;
                }
                s.put(base, row, 0, nk);
                gb.put(base, grow, 0, nk);
            }
        });
    }
}
