package dev.tessera.attention;

import dev.tessera.core.ShapeOps;
import dev.tessera.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The obviously-correct reference: attention composed from Tessera ops, one head at a time. */
final class NaiveAttention {
    private NaiveAttention() {}

    static Tensor attention(Tensor q, Tensor k, Tensor v, AttentionOptions o, long dropoutSeed) {
        int b = (int) q.size(0);
        int h = (int) q.size(1);
        int tq = (int) q.size(2);
        int hkv = (int) k.size(1);
        int tk = (int) k.size(2);
        double scale = o.scaleFor(q.size(3));
        MaskPlan m = new MaskPlan(o, b, h, tq, tk);
        List<Tensor> heads = new ArrayList<>();
        for (int hd = 0; hd < h; hd++) {
            int kh = hd / (h / hkv);
            Tensor qh = q.slice(1, hd, hd + 1); // (B, 1, Tq, D)
            Tensor kh2 = k.slice(1, kh, kh + 1);
            Tensor vh = v.slice(1, kh, kh + 1);
            Tensor s = qh.matmul(kh2.transpose(2, 3)).mul(scale); // (B, 1, Tq, Tk)
            if (o.bias() != null) {
                Tensor bh = o.bias().slice(1, hd, hd + 1);
                s = o.bias().size(0) == b ? s.add(bh) : s.addBroadcast(bh);
            }
            double[] fill = new double[b * tq * tk];
            double[] alibi = new double[b * tq * tk];
            double[] keep = new double[b * tq * tk];
            for (int bb = 0; bb < b; bb++) {
                for (int i = 0; i < tq; i++) {
                    for (int j = 0; j < tk; j++) {
                        int idx = (bb * tq + i) * tk + j;
                        fill[idx] = m.allowed(bb, i, j) ? 0 : 1;
                        alibi[idx] = m.alibi(hd, i, j);
                        long row = ((long) bb * h + hd) * tq + i;
                        keep[idx] = o.dropout() == 0 ? 1
                                : DropoutHash.keep(dropoutSeed, row, j, o.dropout()) ? 1 / (1 - o.dropout()) : 0;
                    }
                }
            }
            s = s.add(Tensor.constant(arr(alibi, q, b, tq, tk)));
            s = s.maskedFill(Tensor.constant(arr(fill, q, b, tq, tk)), Double.NEGATIVE_INFINITY);
            Tensor p = s.softmax(3);
            if (o.dropout() > 0) {
                p = p.mul(Tensor.constant(arr(keep, q, b, tq, tk)));
            }
            heads.add(p.matmul(vh));
        }
        return ShapeOps.concat(1, heads);
    }

    private static INDArray arr(double[] v, Tensor like, int b, int tq, int tk) {
        return Nd4j.create(v, new long[] {b, 1, tq, tk}, org.nd4j.linalg.api.buffer.DataType.DOUBLE).castTo(like.dtype());
    }
}
