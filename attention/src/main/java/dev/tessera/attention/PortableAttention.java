package dev.tessera.attention;

import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Scaled dot-product attention built only from ND4J ops (matmul, broadcast add, exp, reductions),
 * one autograd node with the same hand-written backward as {@link FusedAttention}. This is the
 * path that runs unchanged on ND4J's CUDA backend; it is tested against the fused one. Only the
 * mask (B, 1 or H, Tq, Tk) and the dropout mask are built on the host.
 */
final class PortableAttention {
    private PortableAttention() {}

    static AttentionResult forward(Tensor q, Tensor k, Tensor v, AttentionOptions o, boolean wantProbs) {
        AttentionShapes s = new AttentionShapes(q, k, v);
        s.checkBias(o.bias());
        MaskPlan m = new MaskPlan(o, s.batch, s.heads, s.tq, s.tk);
        double scale = o.scaleFor(s.d);
        int bk = s.batch * s.kvHeads;
        long gq = (long) s.group * s.tq;
        INDArray q3 = q.data().dup('c').reshape('c', bk, gq, s.d); // (B·Hkv, g·Tq, D)
        INDArray k3 = AttentionShapes.sanitize(k.data().dup('c'), m).reshape('c', bk, s.tk, s.d); // (B·Hkv, Tk, D)
        INDArray v3 = AttentionShapes.sanitize(v.data().dup('c'), m).reshape('c', bk, s.tk, s.dv); // (B·Hkv, Tk, Dv)

        INDArray scores = Nd4j.matmul(q3, k3, false, true, false).muli(scale)
                .reshape('c', s.batch, s.heads, s.tq, s.tk); // (B, H, Tq, Tk)
        if (o.bias() != null) {
            INDArray b = o.bias().data();
            scores.addi(b.size(0) == s.batch ? b : b.broadcast(scores.shape()));
        }
        INDArray additive = additiveMask(m, s); // (B, 1 or H, Tq, Tk): ALiBi where allowed, -inf elsewhere
        scores.addi(additive.size(1) == s.heads ? additive : additive.broadcast(scores.shape()));
        INDArray max = scores.max(true, 3); // (B, H, Tq, 1)
        BooleanIndexing.replaceWhere(max, 0.0, Conditions.isInfinite()); // empty rows: exp(-inf - 0) = 0
        INDArray p = Transforms.exp(scores.subi(max.broadcast(scores.shape())), false);
        INDArray sum = p.sum(true, 3);
        BooleanIndexing.replaceWhere(sum, 1.0, Conditions.equals(0.0)); // empty rows stay 0 instead of 0/0
        p.divi(sum.broadcast(p.shape()));
        long seed = o.dropout() > 0 ? o.rng().nextLong() : 0;
        INDArray keep = o.dropout() > 0 ? keepMask(m, s, seed, o.dropout()) : null; // (B, H, Tq, Tk) of {0, 1/(1-p)}
        INDArray pd = keep == null ? p : p.mul(keep);
        INDArray out = Nd4j.matmul(pd.reshape('c', bk, gq, s.tk), v3, false, false, false)
                .reshape('c', s.batch, s.heads, s.tq, s.dv); // (B, H, Tq, Dv)
        Tensor bias = o.bias();
        Tensor[] inputs = bias == null ? new Tensor[] {q, k, v} : new Tensor[] {q, k, v, bias};
        Tensor y = Tensor.fromOp("attention", out, g -> {
            INDArray g3 = g.dup('c').reshape('c', bk, gq, s.dv); // (B·Hkv, g·Tq, Dv)
            INDArray pd3 = pd.reshape('c', bk, gq, s.tk);
            if (v.requiresGrad()) {
                v.accumulateGradOwned(Nd4j.matmul(pd3, g3, true, false, false).reshape('c', v.shape()));
            }
            INDArray dp = Nd4j.matmul(g3, v3, false, true, false).reshape('c', p.shape()); // (B, H, Tq, Tk)
            if (keep != null) {
                dp.muli(keep);
            }
            INDArray dot = dp.mul(p).sum(true, 3); // (B, H, Tq, 1)
            INDArray ds = dp.subi(dot.broadcast(dp.shape())).muli(p); // dL/d(scaled scores)
            if (bias != null && bias.requiresGrad()) {
                bias.accumulateGradOwned(bias.size(0) == 1 && s.batch != 1 ? ds.sum(true, 0) : ds.dup('c'));
            }
            INDArray ds3 = ds.reshape('c', bk, gq, s.tk);
            if (q.requiresGrad()) {
                q.accumulateGradOwned(Nd4j.matmul(ds3, k3, false, false, false).muli(scale).reshape('c', q.shape()));
            }
            if (k.requiresGrad()) {
                k.accumulateGradOwned(Nd4j.matmul(ds3, q3, true, false, false).muli(scale).reshape('c', k.shape()));
            }
        }, inputs);
        return new AttentionResult(y, wantProbs ? p : null);
    }

    /** 0 (plus the ALiBi term) where attended, −∞ where masked. */
    static INDArray additiveMask(MaskPlan m, AttentionShapes s) {
        int hm = m.slopes == null ? 1 : s.heads;
        double[] a = new double[s.batch * hm * s.tq * s.tk];
        int idx = 0;
        for (int b = 0; b < s.batch; b++) {
            for (int h = 0; h < hm; h++) {
                for (int i = 0; i < s.tq; i++) {
                    for (int j = 0; j < s.tk; j++) {
                        a[idx++] = m.allowed(b, i, j) ? m.alibi(h, i, j) : Double.NEGATIVE_INFINITY;
                    }
                }
            }
        }
        return Nd4j.create(a, new long[] {s.batch, hm, s.tq, s.tk}, DataType.DOUBLE)
                .castTo(s.dtype);
    }

    static INDArray keepMask(MaskPlan m, AttentionShapes s, long seed, double p) {
        double[] a = new double[s.batch * s.heads * s.tq * s.tk];
        double scale = 1.0 / (1.0 - p);
        int rows = s.batch * s.heads * s.tq;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < s.tk; j++) {
                a[r * s.tk + j] = DropoutHash.keep(seed, r, j, p) ? scale : 0.0;
            }
        }
        return Nd4j.create(a, new long[] {s.batch, s.heads, s.tq, s.tk}, DataType.DOUBLE)
                .castTo(s.dtype);
    }
}
