package dev.tessera.attention;

import dev.tessera.backend.Gemm;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Memory-efficient attention in the manner of FlashAttention-2: for each block of queries, key
 * blocks are visited with an online softmax (running max and sum per row, the output accumulator
 * rescaled when the max grows); only the output and the per-row log-sum-exp are saved, and the
 * backward recomputes each tile's probabilities from them. Extra memory is O(B·H·T·D) plus three
 * (B·H, Bq, Bk) tiles, never (Tq, Tk).
 *
 * <p>Each tile step handles all B·H heads at once: the tile GEMMs are single batched MKL calls on
 * strided views (batch stride T·D), which keeps the number of calls at (T/Bq)·(T/Bk) rather than
 * B·H times that; the per-call overhead of a 128×128×64 GEMM (~2 MFLOP) would otherwise dominate.
 * Fully masked tiles (above the causal diagonal, outside a sliding window) are skipped. Tile
 * buffers are closed as soon as they are used: ND4J frees native memory only when the Java
 * object is collected, and the first version, which left that to the GC, peaked at 1.6 GB RSS at
 * T = 4096 (B=1, H=8) in the memory benchmark, close to the materialising op's 1.85 GB.
 * MQA/GQA key and value heads are repeated to H heads (O(T·D) per head, within the budget) and
 * their gradients summed back.
 *
 * <p>The tile loops are float32 only; float64 inputs (gradient checks) and backends without host
 * buffers run {@link PortableAttention}, the reference the float32 tiles are tested against.
 */
final class TiledAttention {
    /** Tile size; 128 keeps a (BH, 128, 128) float tile in L2 per head while amortising GEMM calls. */
    static final int BLOCK = 128;

    private TiledAttention() {}

    static Tensor forward(Tensor q, Tensor k, Tensor v, AttentionOptions o) {
        return forward(q, k, v, o, BLOCK);
    }

    static Tensor forward(Tensor q, Tensor k, Tensor v, AttentionOptions o, int block) {
        AttentionShapes s = new AttentionShapes(q, k, v);
        if (o.bias() != null) {
            throw new IllegalArgumentException("options.bias: the TILED attention takes no tensor bias (it would be "
                    + "a materialised (Tq, Tk) array); use ALiBi slopes or the FUSED implementation");
        }
        if (s.dtype != DataType.FLOAT || !HostMemory.available()) {
            return PortableAttention.forward(q, k, v, o, false).output(); // float64: the portable reference
        }
        MaskPlan m = new MaskPlan(o, s.batch, s.heads, s.tq, s.tk);
        double scale = o.scaleFor(s.d);
        int bh = s.batch * s.heads;
        INDArray q3 = HostMemory.dense(q.data()).reshape('c', bh, s.tq, s.d); // (BH, Tq, D)
        INDArray k3 = expand(AttentionShapes.sanitize(HostMemory.dense(k.data()), m), s).reshape('c', bh, s.tk, s.d); // (BH, Tk, D)
        INDArray v3 = expand(AttentionShapes.sanitize(HostMemory.dense(v.data()), m), s).reshape('c', bh, s.tk, s.dv); // (BH, Tk, Dv)
        INDArray out = Nd4j.zeros(s.dtype, bh, s.tq, s.dv); // (BH, Tq, Dv) accumulator, then output
        float[] lse = new float[bh * s.tq]; // (BH·Tq) saved for the backward
        long seed = o.dropout() > 0 ? o.rng().nextLong() : 0;
        double p = o.dropout();
        for (int qb = 0; qb < s.tq; qb += block) {
            int nq = Math.min(block, s.tq - qb);
            INDArray qv = rows(q3, qb, nq); // (BH, nq, D)
            INDArray ov = rows(out, qb, nq); // (BH, nq, Dv)
            float[] runMax = filled(bh * nq); // (BH·nq) running row maxima
            float[] runSum = new float[bh * nq]; // (BH·nq) running sums of exp(s − runMax)
            for (int kb = 0; kb < s.tk; kb += block) {
                int nk = Math.min(block, s.tk - kb);
                if (skip(m, qb, nq, kb, nk)) {
                    continue;
                }
                INDArray sc = Nd4j.createUninitialized(s.dtype, bh, nq, nk); // (BH, nq, nk)
                Gemm.matmulInto(qv, rows(k3, kb, nk), false, true, sc, scale, 0.0);
                TiledRows.forwardTile(sc, s.heads, s.tq, nq, nk, qb, kb, m, runMax, runSum, out, s.dv, seed, p);
                Gemm.matmulInto(sc, rows(v3, kb, nk), false, false, ov, 1.0, 1.0);
                sc.close(); // freed now, not when the GC gets to it: (T/B)² tiles would pile up O(T²) garbage
            }
            TiledRows.finish(out, s.tq, nq, qb, s.dv, runMax, runSum, lse);
        }
        INDArray y = out.reshape('c', s.batch, s.heads, s.tq, s.dv); // (B, H, Tq, Dv)
        return Tensor.fromOp("attentionTiled", y, g -> {
            INDArray g3 = HostMemory.dense(g).reshape('c', bh, s.tq, s.dv); // (BH, Tq, Dv)
            INDArray dsum = g3.mul(out).sum(2); // (BH, Tq): D_i = rowsum(dO ⊙ O)
            float[] rowDot = HostMemory.toFloatArray(dsum); // (BH·Tq)
            INDArray dq = Nd4j.zeros(s.dtype, bh, s.tq, s.d);
            INDArray dk = Nd4j.zeros(s.dtype, bh, s.tk, s.d);
            INDArray dvv = Nd4j.zeros(s.dtype, bh, s.tk, s.dv);
            for (int qb = 0; qb < s.tq; qb += block) {
                int nq = Math.min(block, s.tq - qb);
                INDArray qv = rows(q3, qb, nq);
                INDArray gv = rows(g3, qb, nq);
                INDArray dqv = rows(dq, qb, nq);
                for (int kb = 0; kb < s.tk; kb += block) {
                    int nk = Math.min(block, s.tk - kb);
                    if (skip(m, qb, nq, kb, nk)) {
                        continue;
                    }
                    INDArray kv = rows(k3, kb, nk);
                    INDArray vv = rows(v3, kb, nk);
                    INDArray sc = Nd4j.createUninitialized(s.dtype, bh, nq, nk); // scores, then P after dropout
                    Gemm.matmulInto(qv, kv, false, true, sc, scale, 0.0);
                    INDArray dp = Nd4j.createUninitialized(s.dtype, bh, nq, nk); // dO·Vᵀ, then dS
                    Gemm.matmulInto(gv, vv, false, true, dp, 1.0, 0.0);
                    TiledRows.backwardTile(sc, dp, s.heads, s.tq, nq, nk, qb, kb, m, lse, rowDot, seed, p);
                    Gemm.matmulInto(sc, gv, true, false, rows(dvv, kb, nk), 1.0, 1.0);
                    Gemm.matmulInto(dp, kv, false, false, dqv, scale, 1.0);
                    Gemm.matmulInto(dp, qv, true, false, rows(dk, kb, nk), scale, 1.0);
                    sc.close();
                    dp.close();
                }
            }
            q.accumulateGradOwned(dq.reshape('c', q.shape()));
            k.accumulateGradOwned(reduce(dk, s, s.d));
            v.accumulateGradOwned(reduce(dvv, s, s.dv));
        }, q, k, v);
    }

    /** Whether no (query, key) pair of the tile can be attended, from the causal mask and the window. */
    private static boolean skip(MaskPlan m, int qb, int nq, int kb, int nk) {
        int maxHi = 0;
        for (int b = 0; b < m.batch; b++) {
            maxHi = Math.max(maxHi, m.hi(b, qb + nq - 1));
        }
        return kb >= maxHi || kb + nk <= m.lo(qb);
    }

    /** Rows [start, start + n) of every head: a (BH, n, X) view of a (BH, T, X) array. */
    private static INDArray rows(INDArray x, int start, int n) {
        if (start == 0 && n == x.size(1)) {
            return x;
        }
        return x.get(NDArrayIndex.all(), NDArrayIndex.interval(start, start + n), NDArrayIndex.all());
    }

    /** (B, Hkv, T, X) → (B, H, T, X), each key/value head repeated for its group of query heads. */
    private static INDArray expand(INDArray kv, AttentionShapes s) {
        if (s.group == 1) {
            return kv;
        }
        long t = kv.size(2);
        long x = kv.size(3);
        return kv.reshape('c', s.batch, s.kvHeads, 1, t, x).broadcast(s.batch, s.kvHeads, s.group, t, x).dup('c');
    }

    /** (BH, T, X) gradient of the repeated heads → (B, Hkv, T, X), summed over each group. */
    private static INDArray reduce(INDArray g, AttentionShapes s, int x) {
        long t = g.size(1);
        if (s.group == 1) {
            return g.reshape('c', s.batch, s.kvHeads, t, x);
        }
        return g.reshape('c', s.batch, s.kvHeads, s.group, t, x).sum(2);
    }

    private static float[] filled(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NEGATIVE_INFINITY);
        return a;
    }
}
