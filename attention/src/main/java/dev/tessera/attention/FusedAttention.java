package dev.tessera.attention;

import dev.tessera.core.ShapeOps;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Materialising scaled dot-product attention as one autograd node: per-head GEMMs
 * ({@link HeadGemm}) around a fused Java row loop for mask + ALiBi + softmax, and a hand-written
 * backward reading the saved probabilities.
 *
 * <p>No copies around the products: the GEMMs read q, k, v and the output gradient where they lie
 * ({@link HeadMatrices}: any (B, H, T, D) view with unit last stride, or the column blocks of a
 * fused (B, T, 3C) projection), and {@link #attentionFused} writes its output straight into (B, T, C)
 * and the gradient of the projection into one (B, T, 3C) array, so a multi-head layer needs no
 * split, permute or reshape copies, forward or backward. The output and the gradients come from
 * Tessera's pool where it is on ({@link HostMemory#newFloats}), the score matrices from
 * {@link ScoreBuffers}; copies the op had to make (an input without unit last stride, keys to
 * sanitise) are released when the backward is done with them ({@link Tensor#releaseSaved}).
 *
 * <p>MQA/GQA without copying k and v: query head h reads key/value head h / g (g = H / Hkv), and the
 * gradients of a key/value head add up the products of its g query heads inside the GEMMs
 * (beta = 1 after the first).
 *
 * <p>The scale is folded into the first GEMM ({@code alpha}); dropout masks are not stored but
 * regenerated from a counter-based hash ({@link DropoutHash}).
 */
final class FusedAttention {
    /**
     * Smallest query-block height for skipping the masked upper triangle in the GEMMs.
     * Performance note: with a causal mask (or short key lengths) a block of queries [r0, r1)
     * needs keys only up to the last one its rows may attend, so each of the GEMMs runs per query
     * block over a key prefix: two blocks do 75% of the full products' FLOPs, four 62.5%, and the
     * softmax rows skip the same keys. Every block is one GEMM call per head, so thinner blocks
     * trade FLOPs for calls: the height is half of Tq between this floor and 256 (T = 256: two
     * blocks of 128, which ran faster than four of 64 in an A/B on the 2-core machine, under
     * heavy load). Tests lower it to exercise the blocking on tiny shapes.
     */
    static int causalBlock = 64;

    private FusedAttention() {}

    /** Query blocks {r0, r1, kEnd}: rows [r0, r1) of every head use keys [0, kEnd) only. */
    private static List<int[]> blocks(MaskPlan m, AttentionShapes s) {
        List<int[]> out = new ArrayList<>();
        int step = Math.max(causalBlock, Math.min(256, s.tq / 2));
        if (s.tq < 2 * step) {
            out.add(new int[] {0, s.tq, s.tk});
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
        // the block reaching furthest first: it writes the key/value gradients with beta = 0
        int widest = 0;
        for (int i = 1; i < out.size(); i++) {
            if (out.get(i)[2] > out.get(widest)[2]) {
                widest = i;
            }
        }
        out.add(0, out.remove(widest));
        return out;
    }

    /**
     * The fused op for float32 on (B, H, T, D) inputs; float64 (what gradient checks use) and
     * backends without host buffers run {@link PortableAttention}, against which the float32
     * loops are tested. The output is a new dense (B, H, Tq, Dv) array.
     */
    static AttentionResult forward(Tensor q, Tensor k, Tensor v, AttentionOptions o, boolean wantProbs) {
        AttentionShapes s = new AttentionShapes(q, k, v);
        if (s.dtype != DataType.FLOAT || !HostMemory.available()) {
            return PortableAttention.forward(q, k, v, o, wantProbs);
        }
        s.checkBias(o.bias());
        MaskPlan m = new MaskPlan(o, s.batch, s.heads, s.tq, s.tk);
        List<INDArray> copies = new ArrayList<>(); // dense copies this op made, released after its last use
        HeadMatrices qh = heads(q.data(), copies);
        HeadMatrices kh = heads(sanitized(k.data(), m, copies), copies);
        HeadMatrices vh = heads(sanitized(v.data(), m, copies), copies);
        Op op = new Op(s, m, o, qh, kh, vh, copies);
        INDArray out = HostMemory.newFloats(s.batch, s.heads, s.tq, s.dv); // (B, H, Tq, Dv)
        INDArray p = op.forward(HeadMatrices.ofHeads(out), wantProbs);
        Tensor bias = o.bias();
        Tensor[] inputs = bias == null ? new Tensor[] {q, k, v} : new Tensor[] {q, k, v, bias};
        Tensor y = Tensor.fromOp("attention", out, g -> {
            List<INDArray> temps = new ArrayList<>();
            HeadMatrices gh = heads(g, temps); // (B, H, Tq, Dv)
            INDArray dq = q.requiresGrad() ? HostMemory.newFloats(q.shape()) : null; // (B, H, Tq, D)
            INDArray dk = k.requiresGrad() ? HostMemory.newFloats(k.shape()) : null; // (B, Hkv, Tk, D)
            INDArray dv = v.requiresGrad() ? HostMemory.newFloats(v.shape()) : null; // (B, Hkv, Tk, Dv)
            op.backward(gh, dq == null ? null : HeadMatrices.ofHeads(dq), dk == null ? null : HeadMatrices.ofHeads(dk),
                    dv == null ? null : HeadMatrices.ofHeads(dv), bias);
            temps.forEach(HostMemory::release);
            if (dv != null) {
                v.accumulateGradOwned(dv);
            }
            if (dq != null) {
                q.accumulateGradOwned(dq);
            }
            if (dk != null) {
                k.accumulateGradOwned(dk);
            }
        }, inputs);
        if (!y.requiresGrad()) {
            op.done(true); // no backward will read the probabilities or the copies
        }
        return new AttentionResult(y, p == null ? null : p.reshape('c', s.batch, s.heads, s.tq, s.tk));
    }

    /**
     * Self-attention over a fused projection: q, k and v are the column blocks of
     * {@code qkv} (B, T, (H + 2·Hkv)·hs), read in place, and the output (B, T, H·hs) has each
     * head's values in its hs columns, the layout the output projection reads. The backward
     * writes the gradient of {@code qkv} as one new (B, T, (H + 2·Hkv)·hs) array. Float64, backends
     * without host buffers, and keys masked for every query that hold NaN or Inf take the
     * general path (split, transpose to (B, H, T, hs), {@link ScaledDotProductAttention}), which
     * computes the same.
     */
    static Tensor attentionFused(Tensor qkv, int heads, int kvHeads, AttentionOptions o) {
        AttentionShapes s = AttentionShapes.ofFused(qkv, heads, kvHeads);
        if (o.bias() != null) {
            throw new IllegalArgumentException("attentionFused: an additive bias needs the (B, H, T, D) entry point "
                    + "(ScaledDotProductAttention.attention)");
        }
        MaskPlan m = new MaskPlan(o, s.batch, s.heads, s.tq, s.tk);
        INDArray x = qkv.data();
        if (s.dtype != DataType.FLOAT || !HostMemory.available()
                || (m.hasDeadKeys() && AttentionShapes.hasNonFinite(x))) {
            return generalPath(qkv, s, o);
        }
        List<INDArray> copies = new ArrayList<>();
        INDArray xd = unitColumnStride(x) ? x : keep(HostMemory.copy(x), copies); // (B, T, W)
        int hs = s.d;
        HeadMatrices qh = HeadMatrices.ofColumns(xd, 0, heads, hs);
        HeadMatrices kh = HeadMatrices.ofColumns(xd, (long) heads * hs, kvHeads, hs);
        HeadMatrices vh = HeadMatrices.ofColumns(xd, (long) (heads + kvHeads) * hs, kvHeads, hs);
        Op op = new Op(s, m, o, qh, kh, vh, copies);
        INDArray out = HostMemory.newFloats(s.batch, s.tq, (long) heads * hs); // (B, T, H·hs)
        op.forward(HeadMatrices.ofColumns(out, 0, heads, hs), false);
        Tensor y = Tensor.fromOp("attention", out, g -> {
            List<INDArray> temps = new ArrayList<>();
            INDArray gd = unitColumnStride(g) ? g : keep(HostMemory.copy(g), temps); // (B, T, H·hs)
            INDArray dx = HostMemory.newFloats(qkv.shape()); // (B, T, (H + 2Hkv)·hs): every element written
            op.backward(HeadMatrices.ofColumns(gd, 0, heads, hs), HeadMatrices.ofColumns(dx, 0, heads, hs),
                    HeadMatrices.ofColumns(dx, (long) heads * hs, kvHeads, hs),
                    HeadMatrices.ofColumns(dx, (long) (heads + kvHeads) * hs, kvHeads, hs), null);
            temps.forEach(HostMemory::release);
            qkv.accumulateGradOwned(dx);
        }, qkv);
        if (!y.requiresGrad()) {
            op.done(true);
        }
        return y;
    }

    /** {@link #attentionFused} through the (B, H, T, hs) entry point, with autograd views around it. */
    private static Tensor generalPath(Tensor qkv, AttentionShapes s, AttentionOptions o) {
        long hs = s.d;
        List<Tensor> parts = ShapeOps.split(qkv, 2, s.heads * hs, s.kvHeads * hs, s.kvHeads * hs);
        Tensor q = parts.get(0).reshape(s.batch, s.tq, s.heads, hs).transpose(1, 2); // (B, H, T, hs)
        Tensor k = parts.get(1).reshape(s.batch, s.tq, s.kvHeads, hs).transpose(1, 2); // (B, Hkv, T, hs)
        Tensor v = parts.get(2).reshape(s.batch, s.tq, s.kvHeads, hs).transpose(1, 2);
        Tensor y = ScaledDotProductAttention.attention(q, k, v, o, AttentionImpl.FUSED); // (B, H, T, hs)
        return y.transpose(1, 2).reshape(s.batch, s.tq, s.heads * hs); // (B, T, H·hs)
    }

    private static boolean unitColumnStride(INDArray x) {
        return x.size(x.rank() - 1) <= 1 || x.stride(x.rank() - 1) == 1;
    }

    private static INDArray keep(INDArray copy, List<INDArray> copies) {
        copies.add(copy);
        return copy;
    }

    /** x's heads in place, or those of a dense copy (recorded in {@code copies}) where x's layout has none. */
    private static HeadMatrices heads(INDArray x, List<INDArray> copies) {
        HeadMatrices h = HeadMatrices.ofHeads(x);
        return h != null ? h : HeadMatrices.ofHeads(keep(HostMemory.copy(x), copies));
    }

    /**
     * k or v itself, or a dense copy (recorded in {@code copies}) in which keys masked for every query
     * are zero when they hold NaN or Inf ({@link AttentionShapes#sanitize}).
     */
    private static INDArray sanitized(INDArray x, MaskPlan m, List<INDArray> copies) {
        if (!m.hasDeadKeys() || !AttentionShapes.hasNonFinite(x)) {
            return x;
        }
        INDArray dense = HostMemory.copy(x);
        INDArray clean = AttentionShapes.sanitize(dense, m); // a second copy: dense holds non-finite values
        if (clean != dense) {
            HostMemory.release(dense);
        }
        return keep(clean, copies);
    }

    /** One call's state: what the forward computed and the backward reads. */
    private static final class Op {
        final AttentionShapes s;
        final MaskPlan m;
        final double scale;
        final double drop;
        final long seed;
        final Tensor bias;
        final List<int[]> blocks;
        final HeadMatrices q; // (B, H, Tq, D) heads
        final HeadMatrices k; // (B, Hkv, Tk, D)
        final HeadMatrices v; // (B, Hkv, Tk, Dv)
        final List<INDArray> copies;
        ScoreBuffers.Lease lease; // the probabilities' buffer, null when they belong to the caller or were given back
        INDArray p; // (B·H, Tq, Tk) probabilities; null once given back

        Op(AttentionShapes s, MaskPlan m, AttentionOptions o, HeadMatrices q, HeadMatrices k, HeadMatrices v,
                List<INDArray> copies) {
            this.s = s;
            this.m = m;
            this.scale = o.scaleFor(s.d);
            this.drop = o.dropout();
            this.seed = o.dropout() > 0 ? o.rng().nextLong() : 0;
            this.bias = o.bias();
            this.blocks = blocks(m, s);
            this.q = q;
            this.k = k;
            this.v = v;
            this.copies = copies;
        }

        /**
         * Writes the attention output into {@code out}'s heads. The probabilities go to the caller when
         * asked for (returned); otherwise they never leave the op and live in a reused buffer until the
         * backward has read them ({@link ScoreBuffers}).
         */
        INDArray forward(HeadMatrices out, boolean wantProbs) {
            long bh = (long) s.batch * s.heads;
            if (wantProbs) {
                p = Nd4j.createUninitialized(s.dtype, bh, s.tq, s.tk);
            } else {
                lease = ScoreBuffers.borrow(s.dtype, bh, s.tq, s.tk);
                p = lease.array();
            }
            probabilities(p);
            ScoreBuffers.Lease dropped = null;
            try {
                INDArray pd = p; // probabilities after dropout
                if (drop > 0) {
                    dropped = ScoreBuffers.borrow(s.dtype, bh, s.tq, s.tk);
                    pd = dropped.array();
                    AttentionRows.dropout(p, pd, m, seed, drop);
                }
                HeadMatrices ph = scoreHeads(pd);
                for (int b = 0; b < s.batch; b++) {
                    for (int h = 0; h < s.heads; h++) {
                        int j = h / s.group;
                        for (int[] r : blocks) { // out[r0:r1] = P[r0:r1, 0:kEnd] v[0:kEnd]
                            HeadGemm.gemm(b, false, false, r[1] - r[0], s.dv, r[2], 1.0, ph, h, r[0], 0,
                                    v, j, 0, 0, 0.0, out, h, r[0], 0);
                        }
                    }
                }
            } finally {
                ScoreBuffers.release(dropped);
            }
            return wantProbs ? p : null;
        }

        /** p = softmax(scale · q kᵀ + bias, masked), over the blocks' key prefixes. */
        private void probabilities(INDArray p) {
            HeadMatrices ph = scoreHeads(p);
            for (int b = 0; b < s.batch; b++) {
                for (int h = 0; h < s.heads; h++) {
                    int j = h / s.group;
                    for (int[] r : blocks) { // S[r0:r1, 0:kEnd] = scale · q[r0:r1] k[0:kEnd]ᵀ
                        HeadGemm.gemm(b, false, true, r[1] - r[0], r[2], s.d, scale, q, h, r[0], 0,
                                k, j, 0, 0, 0.0, ph, h, r[0], 0);
                    }
                }
            }
            if (bias != null) {
                addBias(p, bias.data(), s);
            }
            AttentionRows.softmax(p, m, null); // also zero-fills entries right of a block's kEnd
        }

        private HeadMatrices scoreHeads(INDArray scores) {
            return HeadMatrices.ofHeads(scores.reshape('c', s.batch, s.heads, s.tq, s.tk)); // (B, H, Tq, Tk)
        }

        /**
         * Writes the gradients into the heads given (null: not wanted) from the output gradient's
         * heads {@code g}, and adds the bias's into {@code bias} when it wants one; then gives back
         * the probabilities and the copies ({@link #done}).
         */
        void backward(HeadMatrices g, HeadMatrices dq, HeadMatrices dk, HeadMatrices dv, Tensor bias) {
            long bh = (long) s.batch * s.heads;
            ScoreBuffers.Lease recomputed = null;
            ScoreBuffers.Lease pdLease = null;
            ScoreBuffers.Lease dsLease = null;
            try {
                INDArray probs = p;
                if (probs == null) {
                    // A second backward over the same graph: the first gave the buffer back, so the
                    // probabilities are formed again (same inputs, same result).
                    recomputed = ScoreBuffers.borrow(s.dtype, bh, s.tq, s.tk);
                    probs = recomputed.array();
                    probabilities(probs);
                }
                if (dv != null) {
                    INDArray pdb = probs;
                    if (drop > 0) {
                        pdLease = ScoreBuffers.borrow(s.dtype, bh, s.tq, s.tk);
                        pdb = pdLease.array();
                        AttentionRows.dropout(probs, pdb, m, seed, drop);
                    }
                    sumOverQueries(scoreHeads(pdb), g, dv, s.dv, 1.0); // dV = Pᵀ dO
                }
                boolean biasGrad = bias != null && bias.requiresGrad();
                if (dq == null && dk == null && !biasGrad) {
                    return;
                }
                dsLease = ScoreBuffers.borrow(s.dtype, bh, s.tq, s.tk);
                INDArray ds = dsLease.array(); // (B·H, Tq, Tk): dL/dP_dropped
                HeadMatrices dsh = scoreHeads(ds);
                for (int b = 0; b < s.batch; b++) {
                    for (int h = 0; h < s.heads; h++) {
                        int j = h / s.group;
                        for (int[] r : blocks) { // right of kEnd unwritten: P is 0 there and the loop writes 0
                            HeadGemm.gemm(b, false, true, r[1] - r[0], r[2], s.dv, 1.0, g, h, r[0], 0,
                                    v, j, 0, 0, 0.0, dsh, h, r[0], 0);
                        }
                    }
                }
                AttentionRows.softmaxBackward(probs, ds, m, seed, drop); // now dL/d(scaled scores)
                if (biasGrad) {
                    INDArray ds4 = ds.reshape('c', s.batch, s.heads, s.tq, s.tk);
                    bias.accumulateGradOwned(bias.size(0) == 1 && s.batch != 1 ? ds4.sum(true, 0) : ds4.dup('c'));
                }
                if (dq != null) {
                    for (int b = 0; b < s.batch; b++) {
                        for (int h = 0; h < s.heads; h++) {
                            int j = h / s.group;
                            for (int[] r : blocks) { // dq[r0:r1] = scale · dS[r0:r1, 0:kEnd] k[0:kEnd]
                                HeadGemm.gemm(b, false, false, r[1] - r[0], s.d, r[2], scale, dsh, h, r[0], 0,
                                        k, j, 0, 0, 0.0, dq, h, r[0], 0);
                            }
                        }
                    }
                }
                if (dk != null) {
                    sumOverQueries(dsh, q, dk, s.d, scale); // dK = scale · dSᵀ q
                }
            } finally {
                ScoreBuffers.release(dsLease);
                ScoreBuffers.release(pdLease);
                ScoreBuffers.release(recomputed);
                done(false);
            }
        }

        /**
         * dst[b, j] = alpha · Σ over the g query heads h of key head j and the blocks of
         * a[b, h][r0:r1, 0:kEnd]ᵀ x[b, h][r0:r1, :], each block adding into the key rows [0, kEnd) it
         * reaches; the first (widest) block of the first head writes with beta = 0, so dst needs no
         * zero-filling pass; key rows no block reaches are zeroed.
         */
        private void sumOverQueries(HeadMatrices a, HeadMatrices x, HeadMatrices dst, int cols, double alpha) {
            int reach = blocks.get(0)[2];
            for (int b = 0; b < s.batch; b++) {
                for (int j = 0; j < s.kvHeads; j++) {
                    boolean first = true;
                    for (int h = j * s.group; h < (j + 1) * s.group; h++) {
                        for (int[] r : blocks) {
                            HeadGemm.gemm(b, true, false, r[2], cols, r[1] - r[0], alpha, a, h, r[0], 0,
                                    x, h, r[0], 0, first ? 0.0 : 1.0, dst, j, 0, 0);
                            first = false;
                        }
                    }
                    HeadGemm.zero(dst, b, j, reach, s.tk, 0, cols); // keys no query may attend: zero gradient
                }
            }
        }

        /**
         * Gives back the probabilities' buffer, and this op's copies where nothing can read them again:
         * always when {@code noGraph} (no backward will run), otherwise only under
         * {@code backwardAndFree} ({@link Tensor#releaseSaved}), as a second plain backward reads them.
         */
        void done(boolean noGraph) {
            if (lease != null) {
                ScoreBuffers.release(lease);
                lease = null;
                p = null;
            }
            if (noGraph) {
                copies.forEach(HostMemory::release);
            } else {
                Tensor.releaseSaved(copies.toArray(new INDArray[0]));
            }
        }
    }

    /** scores (B·H, Tq, Tk) += bias (1 or B, H, Tq, Tk). */
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
