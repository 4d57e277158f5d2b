package dev.tessera.core;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Softmax and log-softmax along an axis, each one node with a hand-written backward.
 * Stable for large logits; a slice that is entirely -inf yields zeros (softmax) and a zero
 * gradient, never NaN.
 */
public final class Softmax {
    private Softmax() {}

    /** exp(x - max) / Σ exp(x - max) along {@code axis}; backward y ⊙ (g - Σ g ⊙ y). */
    public static Tensor softmax(Tensor x, int axis) {
        Checks.floating("softmax", "x", x);
        int a = Checks.axis("axis", axis, x.rank());
        long[] shape = x.shape();
        INDArray m = Reductions.finiteMax(x.data(), a);
        INDArray y = Transforms.exp(x.data().sub(m.broadcast(shape)), false);
        INDArray s = y.sum(true, a);
        y.divi(s.broadcast(shape));
        BooleanIndexing.replaceWhere(y, 0.0, Conditions.isNan()); // all -inf slice: 0/0
        return Tensor.fromOp("softmax", y, g -> {
            INDArray gy = g.mul(y);
            INDArray dot = gy.sum(true, a);
            x.accumulateGradOwned(gy.subi(y.mul(dot.broadcast(shape))));
        }, x);
    }

    /** x - logΣexp(x) along {@code axis}; backward g - softmax ⊙ Σ g. */
    public static Tensor logSoftmax(Tensor x, int axis) {
        Checks.floating("logSoftmax", "x", x);
        int a = Checks.axis("axis", axis, x.rank());
        long[] shape = x.shape();
        INDArray m = Reductions.finiteMax(x.data(), a);
        INDArray shifted = x.data().sub(m.broadcast(shape));
        INDArray lse = Transforms.log(Transforms.exp(shifted, true).sum(true, a), false);
        INDArray y = shifted.subi(lse.broadcast(shape));
        return Tensor.fromOp("logSoftmax", y, g -> {
            INDArray p = Transforms.exp(y, true);
            BooleanIndexing.replaceWhere(p, 0.0, Conditions.isNan());
            INDArray gs = g.sum(true, a);
            x.accumulateGradOwned(g.sub(p.muli(gs.broadcast(shape))));
        }, x);
    }
}
