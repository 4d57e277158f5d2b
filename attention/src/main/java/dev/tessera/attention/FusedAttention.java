package dev.tessera.attention;

import dev.tessera.backend.Gemm;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
    private static java.util.List<int[]> blocks(MaskPlan m, AttentionShapes s) {
        java.util.List<int[]> out = new java.util.ArrayList<>();
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
        return x.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(r0, r1),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(c0, c1));
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

        java.util.List<int[]> blocks = blocks(m, s);
        INDArray p = HostMemory.newUninitialized(s.dtype, bk, (long) s.group * s.tq, s.tk); // (B·Hkv, g·Tq, Tk) = (B, H, Tq, Tk)
        for (int[] r : blocks) { // entries right of kEnd stay unwritten: the softmax zero-fills masked entries
            Gemm.matmulInto(view(q3, r[0], r[1], 0, s.d), view(k3, 0, r[2], 0, s.d), false, true,
                    view(p, r[0], r[1], 0, r[2]), scale, 0.0);
        }
        if (o.bias() != null) {
            addBias(p, o.bias().data(), s);
        }
        AttentionRows.softmax(p, m, null);
        long seed = o.dropout() > 0 ? o.rng().nextLong() : 0;
        INDArray pd = p; // probabilities after dropout
        if (o.dropout() > 0) {
            pd = HostMemory.newUninitialized(s.dtype, p.shape());
            AttentionRows.dropout(p, pd, m, seed, o.dropout());
        }
        INDArray out3 = HostMemory.newUninitialized(s.dtype, bk, (long) s.group * s.tq, s.dv); // (B·Hkv, g·Tq, Dv)
        for (int[] r : blocks) {
            Gemm.matmulInto(view(pd, r[0], r[1], 0, r[2]), view(v3, 0, r[2], 0, s.dv), false, false,
                    view(out3, r[0], r[1], 0, s.dv), 1.0, 0.0);
        }
        if (pd != p) {
            HostMemory.release(pd); // the backward recomputes the dropped probabilities
        }
        INDArray out = out3.reshape('c', s.batch, s.heads, s.tq, s.dv); // (B, H, Tq, Dv)
        Tensor bias = o.bias();
        double drop = o.dropout();
        Tensor[] inputs = bias == null ? new Tensor[] {q, k, v} : new Tensor[] {q, k, v, bias};
        Tensor y = Tensor.fromOp("attention", out, g -> {
            INDArray g3 = HostMemory.dense(g).reshape('c', bk, (long) s.group * s.tq, s.dv); // (B·Hkv, g·Tq, Dv)
            if (v.requiresGrad()) {
                INDArray pdb = drop > 0 ? HostMemory.newUninitialized(s.dtype, p.shape()) : p;
                if (drop > 0) {
                    AttentionRows.dropout(p, pdb, m, seed, drop);
                }
                INDArray dv = Nd4j.zeros(s.dtype, bk, s.tk, s.dv); // (B·Hkv, Tk, Dv)
                for (int[] r : blocks) {
                    Gemm.matmulInto(view(pdb, r[0], r[1], 0, r[2]), view(g3, r[0], r[1], 0, s.dv), true, false,
                            view(dv, 0, r[2], 0, s.dv), 1.0, 1.0);
                }
                v.accumulateGradOwned(dv.reshape('c', v.shape())); // (B, Hkv, Tk, Dv)
                if (pdb != p) {
                    HostMemory.release(pdb);
                }
            }
            if (!q.requiresGrad() && !k.requiresGrad() && (bias == null || !bias.requiresGrad())) {
                Tensor.releaseSaved(wantProbs ? null : p);
                return;
            }
            INDArray ds = HostMemory.newUninitialized(s.dtype, bk, (long) s.group * s.tq, s.tk); // (B·Hkv, g·Tq, Tk): dL/dP_dropped
            for (int[] r : blocks) { // right of kEnd unwritten: P is 0 there and the loop writes 0
                Gemm.matmulInto(view(g3, r[0], r[1], 0, s.dv), view(v3, 0, r[2], 0, s.dv), false, true,
                        view(ds, r[0], r[1], 0, r[2]), 1.0, 0.0);
            }
            AttentionRows.softmaxBackward(p, ds, m, seed, drop); // now dL/d(scaled scores)
            if (bias != null && bias.requiresGrad()) {
                INDArray ds4 = ds.reshape('c', s.batch, s.heads, s.tq, s.tk);
                bias.accumulateGradOwned(bias.size(0) == 1 && s.batch != 1 ? ds4.sum(true, 0) : ds4.dup('c'));
            }
            if (q.requiresGrad()) {
                INDArray dq = HostMemory.newUninitialized(s.dtype, bk, (long) s.group * s.tq, s.d);
                for (int[] r : blocks) {
                    Gemm.matmulInto(view(ds, r[0], r[1], 0, r[2]), view(k3, 0, r[2], 0, s.d), false, false,
                            view(dq, r[0], r[1], 0, s.d), scale, 0.0);
                }
                q.accumulateGradOwned(dq.reshape('c', q.shape()));
            }
            if (k.requiresGrad()) {
                INDArray dk = Nd4j.zeros(s.dtype, bk, s.tk, s.d);
                for (int[] r : blocks) {
                    Gemm.matmulInto(view(ds, r[0], r[1], 0, r[2]), view(q3, r[0], r[1], 0, s.d), true, false,
                            view(dk, 0, r[2], 0, s.d), scale, 1.0);
                }
                k.accumulateGradOwned(dk.reshape('c', k.shape()));
            }
            HostMemory.release(ds); // this backward's own scratch
            Tensor.releaseSaved(wantProbs ? null : p); // the probabilities, unless the caller has them
        }, inputs);
        return new AttentionResult(y, wantProbs ? p.reshape('c', s.batch, s.heads, s.tq, s.tk) : null);
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
