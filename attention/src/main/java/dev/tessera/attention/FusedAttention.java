package dev.tessera.attention;

import dev.tessera.backend.Gemm;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Materialising scaled dot-product attention as one autograd node: two batched GEMMs (MKL
 * {@code cblas_?gemm_batch_strided} through {@link Gemm}) around a fused Java row loop for
 * mask + ALiBi + softmax, and a hand-written backward reading the saved probabilities.
 *
 * <p>MQA/GQA without copying k and v: with q dense (B, H, Tq, D) and H = Hkv·g, q viewed as
 * (B·Hkv, g·Tq, D) puts the g query heads that share one key head into one matrix, so
 * {@code S = q kᵀ} is one batched GEMM over B·Hkv (k viewed (B·Hkv, Tk, D)), and its result is
 * already laid out (B, H, Tq, Tk). In the backward, {@code dV = Pᵀ dO} and {@code dK = dSᵀ q}
 * then sum over the group inside the GEMM. (Repeating k/v to H heads was the first version; it
 * costs two (B, H, Tk, D) copies forward and a group reduction backward.)
 *
 * <p>The scale is folded into the first GEMM ({@code alpha}); dropout masks are not stored but
 * regenerated from a counter-based hash ({@link DropoutHash}).
 */
final class FusedAttention {
    /**
     * Smallest query-block height for skipping the masked upper triangle in the GEMMs.
     * Performance note: with a causal mask (or short key lengths) a block of queries [r0, r1)
     * needs keys only up to the last one its rows may attend, so each of the GEMMs runs per query
     * block over a key prefix; with four blocks that is 62.5% of the full products' FLOPs, and
     * the softmax rows skip the same keys. Each block's GEMM is still one batched call over all
     * B·Hkv heads, so blocks of 64 rows (T = 256) stay thick enough for MKL; the height is a
     * quarter of Tq between this floor and 256. Only for MHA (with GQA the g heads of a group
     * share rows of one matrix, so a query block is not one strided view). Tests lower it to
     * exercise the blocking on tiny shapes.
     */
    static int causalBlock = 64;

    private FusedAttention() {}

    /** Row blocks {r0, r1, kEnd} of the (B·Hkv, g·Tq, Tk) scores: rows [r0, r1) use keys [0, kEnd) only. */
    private static List<int[]> blocks(MaskPlan m, AttentionShapes s) {
        List<int[]> out = new ArrayList<>();
        int step = Math.max(causalBlock, Math.min(256, s.tq / 4));
        if (s.group != 1 || s.tq < 2 * step) {
            out.add(new int[] {0, s.group * s.tq, s.tk}); // every row of the (B·Hkv, g·Tq, ·) matrices, every key
            return out;
        }
        for (int r0 = 0; r0 < s.tq; r0 += step) {
            int r1 = Math.min(s.tq, r0 + step);
            int kEnd = 0;
            for (int b = 0; b < s.batch; b++) {
                kEnd = Math.max(kEnd, m.hi(b, r1 - 1));
            }
            out.add(new int[] {r0, r1, Math.max(kEnd, 1)});
        }
        return out;
    }

    /** x[:, r0:r1, c0:c1] of a 3-D array (the whole array when that is everything). */
    private static INDArray view(INDArray x, int r0, int r1, int c0, int c1) {
        if (r0 == 0 && r1 == x.size(1) && c0 == 0 && c1 == x.size(2)) {
            return x;
        }
        return x.get(NDArrayIndex.all(), NDArrayIndex.interval(r0, r1),
                NDArrayIndex.interval(c0, c1));
    }

    /**
     * The fused op for float32; float64 (what gradient checks use) and backends without host
     * buffers run {@link PortableAttention}, against which the float32 loops are tested.
     */
    static AttentionResult forward(Tensor q, Tensor k, Tensor v, AttentionOptions o, boolean wantProbs) {
        AttentionShapes s = new AttentionShapes(q, k, v);
        if (s.dtype != DataType.FLOAT || !HostMemory.available()) {
            return PortableAttention.forward(q, k, v, o, wantProbs);
        }
        s.checkBias(o.bias());
        MaskPlan m = new MaskPlan(o, s.batch, s.heads, s.tq, s.tk);
        double scale = o.scaleFor(s.d);
        int bk = s.batch * s.kvHeads;
        INDArray q3 = HostMemory.dense(q.data()).reshape('c', bk, (long) s.group * s.tq, s.d); // (B·Hkv, g·Tq, D)
        INDArray k3 = AttentionShapes.sanitize(HostMemory.dense(k.data()), m).reshape('c', bk, s.tk, s.d); // (B·Hkv, Tk, D)
        INDArray v3 = AttentionShapes.sanitize(HostMemory.dense(v.data()), m).reshape('c', bk, s.tk, s.dv); // (B·Hkv, Tk, Dv)

        List<int[]> blocks = blocks(m, s);
        long rows = (long) s.group * s.tq; // g·Tq
        // The probabilities go to the caller when asked for; otherwise they never leave the op and
        // live in a reused buffer until the backward has read them (ScoreBuffers).
        Saved saved = new Saved();
        INDArray p; // (B·Hkv, g·Tq, Tk) = (B, H, Tq, Tk)
        if (wantProbs) {
            p = Nd4j.createUninitialized(s.dtype, bk, rows, s.tk);
        } else {
            saved.lease = ScoreBuffers.borrow(s.dtype, bk, rows, s.tk);
            p = saved.lease.array();
        }
        saved.p = p;
        probabilities(q3, k3, o.bias(), m, s, scale, blocks, p);
        long seed = o.dropout() > 0 ? o.rng().nextLong() : 0;
        INDArray out3 = Nd4j.createUninitialized(s.dtype, bk, rows, s.dv); // (B·Hkv, g·Tq, Dv)
        ScoreBuffers.Lease dropped = null;
        try {
            INDArray pd = p; // probabilities after dropout
            if (o.dropout() > 0) {
                dropped = ScoreBuffers.borrow(s.dtype, bk, rows, s.tk);
                pd = dropped.array();
                AttentionRows.dropout(p, pd, m, seed, o.dropout());
            }
            for (int[] r : blocks) {
                Gemm.matmulInto(view(pd, r[0], r[1], 0, r[2]), view(v3, 0, r[2], 0, s.dv), false, false,
                        view(out3, r[0], r[1], 0, s.dv), 1.0, 0.0);
            }
        } finally {
            ScoreBuffers.release(dropped);
        }
        INDArray out = out3.reshape('c', s.batch, s.heads, s.tq, s.dv); // (B, H, Tq, Dv)
        Tensor bias = o.bias();
        double drop = o.dropout();
        Tensor[] inputs = bias == null ? new Tensor[] {q, k, v} : new Tensor[] {q, k, v, bias};
        Tensor y = Tensor.fromOp("attention", out, g -> {
            ScoreBuffers.Lease recomputed = null;
            ScoreBuffers.Lease pdLease = null;
            ScoreBuffers.Lease dsLease = null;
            try {
                INDArray probs = saved.p;
                if (probs == null) {
                    // A second backward over the same graph: the first gave the buffer back, so the
                    // probabilities are formed again (same inputs, same result).
                    recomputed = ScoreBuffers.borrow(s.dtype, bk, rows, s.tk);
                    probs = recomputed.array();
                    probabilities(q3, k3, bias, m, s, scale, blocks, probs);
                }
                INDArray g3 = HostMemory.dense(g).reshape('c', bk, rows, s.dv); // (B·Hkv, g·Tq, Dv)
                if (v.requiresGrad()) {
                    INDArray pdb = probs;
                    if (drop > 0) {
                        pdLease = ScoreBuffers.borrow(s.dtype, bk, rows, s.tk);
                        pdb = pdLease.array();
                        AttentionRows.dropout(probs, pdb, m, seed, drop);
                    }
                    INDArray dv = Nd4j.createUninitialized(s.dtype, bk, s.tk, s.dv); // (B·Hkv, Tk, Dv)
                    sumOverBlocks(pdb, g3, dv, blocks, 1.0);
                    v.accumulateGradOwned(dv.reshape('c', v.shape())); // (B, Hkv, Tk, Dv)
                }
                if (!q.requiresGrad() && !k.requiresGrad() && (bias == null || !bias.requiresGrad())) {
                    return;
                }
                dsLease = ScoreBuffers.borrow(s.dtype, bk, rows, s.tk);
                INDArray ds = dsLease.array(); // (B·Hkv, g·Tq, Tk): dL/dP_dropped
                for (int[] r : blocks) { // right of kEnd unwritten: P is 0 there and the loop writes 0
                    Gemm.matmulInto(view(g3, r[0], r[1], 0, s.dv), view(v3, 0, r[2], 0, s.dv), false, true,
                            view(ds, r[0], r[1], 0, r[2]), 1.0, 0.0);
                }
                AttentionRows.softmaxBackward(probs, ds, m, seed, drop); // now dL/d(scaled scores)
                if (bias != null && bias.requiresGrad()) {
                    INDArray ds4 = ds.reshape('c', s.batch, s.heads, s.tq, s.tk);
                    bias.accumulateGradOwned(bias.size(0) == 1 && s.batch != 1 ? ds4.sum(true, 0) : ds4.dup('c'));
                }
                if (q.requiresGrad()) {
                    INDArray dq = Nd4j.createUninitialized(s.dtype, bk, rows, s.d); // (B·Hkv, g·Tq, D)
                    for (int[] r : blocks) {
                        Gemm.matmulInto(view(ds, r[0], r[1], 0, r[2]), view(k3, 0, r[2], 0, s.d), false, false,
                                view(dq, r[0], r[1], 0, s.d), scale, 0.0);
                    }
                    q.accumulateGradOwned(dq.reshape('c', q.shape()));
                }
                if (k.requiresGrad()) {
                    INDArray dk = Nd4j.createUninitialized(s.dtype, bk, s.tk, s.d); // (B·Hkv, Tk, D)
                    sumOverBlocks(ds, q3, dk, blocks, scale);
                    k.accumulateGradOwned(dk.reshape('c', k.shape()));
                }
            } finally {
                ScoreBuffers.release(dsLease);
                ScoreBuffers.release(pdLease);
                ScoreBuffers.release(recomputed);
                saved.releaseBuffer();
            }
        }, inputs);
        if (!y.requiresGrad()) {
            saved.releaseBuffer(); // no backward will read the probabilities
        }
        return new AttentionResult(y, wantProbs ? p.reshape('c', s.batch, s.heads, s.tq, s.tk) : null);
    }

    /** The forward's probabilities as the backward finds them: in a borrowed buffer until given back. */
    private static final class Saved {
        ScoreBuffers.Lease lease; // null when the probabilities belong to the caller
        INDArray p; // null once the buffer is given back

        void releaseBuffer() {
            if (lease != null) {
                ScoreBuffers.release(lease);
                lease = null;
                p = null;
            }
        }
    }

    /**
     * p = softmax(scale · q kᵀ + bias, masked), over the blocks' key prefixes; entries right of a
     * block's kEnd are left for the softmax, which zero-fills masked entries.
     */
    private static void probabilities(INDArray q3, INDArray k3, Tensor bias, MaskPlan m, AttentionShapes s,
            double scale, List<int[]> blocks, INDArray p) {
        for (int[] r : blocks) {
            Gemm.matmulInto(view(q3, r[0], r[1], 0, s.d), view(k3, 0, r[2], 0, s.d), false, true,
                    view(p, r[0], r[1], 0, r[2]), scale, 0.0);
        }
        if (bias != null) {
            addBias(p, bias.data(), s);
        }
        AttentionRows.softmax(p, m, null);
    }

    /**
     * dst (B·Hkv, Tk, X) = alpha · Σ_blocks a[:, r0:r1, 0:kEnd]ᵀ b[:, r0:r1, :], each block adding
     * into the key rows [0, kEnd) it reaches. The block reaching furthest writes first with
     * beta = 0, so dst needs no zero-filling pass; key rows no block reaches are zeroed.
     */
    private static void sumOverBlocks(INDArray a, INDArray b, INDArray dst, List<int[]> blocks, double alpha) {
        int widest = 0;
        for (int i = 1; i < blocks.size(); i++) {
            if (blocks.get(i)[2] > blocks.get(widest)[2]) {
                widest = i;
            }
        }
        int cols = Math.toIntExact(b.size(2));
        int[] first = blocks.get(widest);
        Gemm.matmulInto(view(a, first[0], first[1], 0, first[2]), view(b, first[0], first[1], 0, cols), true, false,
                view(dst, 0, first[2], 0, cols), alpha, 0.0);
        for (int i = 0; i < blocks.size(); i++) {
            if (i != widest) {
                int[] r = blocks.get(i);
                Gemm.matmulInto(view(a, r[0], r[1], 0, r[2]), view(b, r[0], r[1], 0, cols), true, false,
                        view(dst, 0, r[2], 0, cols), alpha, 1.0);
            }
        }
        int tk = Math.toIntExact(dst.size(1));
        if (first[2] < tk) {
            view(dst, first[2], tk, 0, cols).assign(0); // keys no query may attend: zero gradient
        }
    }

    /** scores (B·Hkv, g·Tq, Tk) += bias (1 or B, H, Tq, Tk). */
    private static void addBias(INDArray scores, INDArray bias, AttentionShapes s) {
        long per = (long) s.heads * s.tq * s.tk;
        INDArray flat = scores.reshape('c', s.batch, per); // (B, H·Tq·Tk)
        INDArray b = HostMemory.dense(bias).reshape('c', bias.size(0), per);
        if (bias.size(0) == 1) {
            flat.addiRowVector(b);
        } else {
            flat.addi(b);
        }
    }
}
