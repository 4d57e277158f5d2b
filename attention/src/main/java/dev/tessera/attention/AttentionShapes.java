package dev.tessera.attention;

import dev.tessera.core.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;

/** Validated attention dimensions and the input preparation shared by all paths. */
final class AttentionShapes {
    final int batch; // B
    final int heads; // H
    final int kvHeads; // Hkv (H for MHA, 1 for MQA, in between for GQA)
    final int group; // H / Hkv
    final int tq; // Tq
    final int tk; // Tk
    final int d; // D (query/key head size)
    final int dv; // Dv (value head size)
    final DataType dtype;

    AttentionShapes(Tensor q, Tensor k, Tensor v) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) {
            throw new IllegalArgumentException("attention: q, k and v must be 4-D (B, H, T, D), but q has shape "
                    + Arrays.toString(q.shape()) + ", k " + Arrays.toString(k.shape()) + ", v " + Arrays.toString(v.shape()));
        }
        if (q.dtype() != k.dtype() || q.dtype() != v.dtype()) {
            throw new IllegalArgumentException("attention: q, k and v must have one dtype, got " + q.dtype() + ", "
                    + k.dtype() + ", " + v.dtype());
        }
        if (q.dtype() != DataType.FLOAT && q.dtype() != DataType.DOUBLE) {
            throw new IllegalArgumentException("attention: only FLOAT and DOUBLE are supported, got " + q.dtype());
        }
        batch = Math.toIntExact(q.size(0));
        heads = Math.toIntExact(q.size(1));
        tq = Math.toIntExact(q.size(2));
        d = Math.toIntExact(q.size(3));
        kvHeads = Math.toIntExact(k.size(1));
        tk = Math.toIntExact(k.size(2));
        dv = Math.toIntExact(v.size(3));
        dtype = q.dtype();
        if (k.size(0) != batch || v.size(0) != batch) {
            throw new IllegalArgumentException("attention: batch sizes differ: q " + Arrays.toString(q.shape()) + ", k "
                    + Arrays.toString(k.shape()) + ", v " + Arrays.toString(v.shape()));
        }
        if (k.size(3) != d) {
            throw new IllegalArgumentException("attention: k's head size must equal q's (" + d + "), but k has shape "
                    + Arrays.toString(k.shape()));
        }
        if (v.size(1) != kvHeads || v.size(2) != tk) {
            throw new IllegalArgumentException("attention: v must have k's heads and length (" + kvHeads + ", " + tk
                    + "), but v has shape " + Arrays.toString(v.shape()) + " and k " + Arrays.toString(k.shape()));
        }
        if (kvHeads == 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention: q's head count " + heads
                    + " must be a multiple of k's/v's head count " + kvHeads + " (MQA/GQA share each k/v head by a group)");
        }
        group = heads / kvHeads;
    }

    private AttentionShapes(int batch, int heads, int kvHeads, int tq, int tk, int d, int dv, DataType dtype) {
        this.batch = batch;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.group = heads / kvHeads;
        this.tq = tq;
        this.tk = tk;
        this.d = d;
        this.dv = dv;
        this.dtype = dtype;
    }

    /**
     * The dimensions of self-attention over a fused projection qkv (B, T, (H + 2·Hkv)·hs): q, k
     * and v are its three column blocks, heads of hs columns each.
     */
    static AttentionShapes ofFused(Tensor qkv, int heads, int kvHeads) {
        if (qkv.rank() != 3) {
            throw new IllegalArgumentException("attention: qkv must be 3-D (B, T, (H + 2Hkv)·hs), got shape "
                    + Arrays.toString(qkv.shape()));
        }
        if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention: heads (" + heads + ") must be a positive multiple of kvHeads ("
                    + kvHeads + ")");
        }
        long w = qkv.size(2);
        long parts = heads + 2L * kvHeads;
        if (w % parts != 0 || w == 0) {
            throw new IllegalArgumentException("attention: qkv's last dimension " + w + " must be (H + 2Hkv)·hs = "
                    + parts + "·hs for H = " + heads + ", Hkv = " + kvHeads + "; qkv has shape "
                    + Arrays.toString(qkv.shape()));
        }
        if (qkv.dtype() != DataType.FLOAT && qkv.dtype() != DataType.DOUBLE) {
            throw new IllegalArgumentException("attention: only FLOAT and DOUBLE are supported, got " + qkv.dtype());
        }
        int t = Math.toIntExact(qkv.size(1));
        int hs = Math.toIntExact(w / parts);
        return new AttentionShapes(Math.toIntExact(qkv.size(0)), heads, kvHeads, t, t, hs, hs, qkv.dtype());
    }

    void checkBias(Tensor bias) {
        if (bias == null) {
            return;
        }
        long[] s = bias.shape();
        if ((s[0] != 1 && s[0] != batch) || s[1] != heads || s[2] != tq || s[3] != tk) {
            throw new IllegalArgumentException("attention: bias must have shape [1 or " + batch + ", " + heads + ", " + tq
                    + ", " + tk + "] but has " + Arrays.toString(s));
        }
        if (bias.dtype() != dtype) {
            throw new IllegalArgumentException("attention: bias must have dtype " + dtype + " but has " + bias.dtype());
        }
    }

    /**
     * A dense copy of k or v (B, Hkv, Tk, D) in which keys masked for every query are zero when
     * they hold NaN or Inf: matmuls multiply masked entries by an exact 0, and 0 · NaN would
     * otherwise leak into the output and the gradients. Returns the dense input itself in the
     * common case of finite values.
     */
    static INDArray sanitize(INDArray dense, MaskPlan m) {
        if (!m.hasDeadKeys() || !hasNonFinite(dense)) {
            return dense;
        }
        INDArray out = dense.dup('c');
        long rowLen = out.size(3);
        long heads = out.size(1);
        long tk = out.size(2);
        for (int b = 0; b < m.batch; b++) {
            for (int j = 0; j < m.tk; j++) {
                if (m.deadKey(b, j)) {
                    for (long h = 0; h < heads; h++) {
                        long base = ((b * heads + h) * tk + j) * rowLen;
                        for (long c = 0; c < rowLen; c++) {
                            out.data().put(base + c, 0.0);
                        }
                    }
                }
            }
        }
        return out;
    }

    static boolean hasNonFinite(INDArray x) {
        long nan = Nd4j.getExecutioner().exec(new MatchCondition(x, Conditions.isNan())).getLong(0);
        long inf = Nd4j.getExecutioner().exec(new MatchCondition(x, Conditions.isInfinite())).getLong(0);
        return nan + inf > 0;
    }
}
