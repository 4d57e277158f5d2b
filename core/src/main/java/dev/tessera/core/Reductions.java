package dev.tessera.core;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Sum, mean, max and log-sum-exp over axes. */
public final class Reductions {
    private Reductions() {}

    /** Sum of all elements: a rank-0 tensor. */
    public static Tensor sumAll(Tensor x) {
        long[] inShape = x.shape();
        INDArray out = Nd4j.scalar(x.dtype(), x.data().sumNumber().doubleValue());
        return Tensor.fromOp("sum", out, g -> x.accumulateGradOwned(Nd4j.valueArrayOf(inShape, g.getDouble(0), g.dataType())), x);
    }

    /** Mean of all elements: a rank-0 tensor. */
    public static Tensor meanAll(Tensor x) {
        if (x.length() == 0) {
            throw new IllegalArgumentException("mean: x is empty (shape " + Arrays.toString(x.shape()) + ")");
        }
        return sumAll(x).mul(1.0 / x.length());
    }

    /** Sum over {@code axes}. */
    public static Tensor sum(Tensor x, boolean keepDims, int... axes) {
        int[] ax = normalise("sum", x, axes);
        long[] inShape = x.shape();
        long[] keptShape = keptShape(inShape, ax);
        INDArray out = x.data().sum(keepDims, ax);
        return Tensor.fromOp("sum", out, g -> x.accumulateGradOwned(g.reshape('c', keptShape).broadcast(inShape).dup('c')), x);
    }

    /** Mean over {@code axes}. */
    public static Tensor mean(Tensor x, boolean keepDims, int... axes) {
        int[] ax = normalise("mean", x, axes);
        long count = 1;
        for (int a : ax) {
            count *= x.shape()[a];
        }
        if (count == 0) {
            throw new IllegalArgumentException("mean: reducing over empty axes " + Arrays.toString(axes) + " of shape " + Arrays.toString(x.shape()));
        }
        return sum(x, keepDims, ax).mul(1.0 / count);
    }

    /**
     * Maximum along {@code axis}. The gradient goes to the maximal elements, split evenly among
     * ties (as {@code torch.amax}).
     */
    public static Tensor max(Tensor x, int axis, boolean keepDims) {
        int a = Checks.axis("axis", axis, x.rank());
        long[] inShape = x.shape();
        INDArray kept = x.data().max(true, a);
        INDArray out = keepDims ? kept : kept.reshape('c', dropAxis(inShape, a));
        return Tensor.fromOp("max", out, g -> {
            INDArray mask = x.data().eq(kept.broadcast(inShape)).castTo(x.dtype());
            INDArray count = mask.sum(true, a);
            INDArray share = g.reshape('c', kept.shape()).div(count);
            x.accumulateGradOwned(mask.muli(share.broadcast(inShape)));
        }, x);
    }

    /**
     * log Σ exp(x) along {@code axis}, stable for large and -inf entries: a row of only -inf
     * gives -inf with a zero gradient, never NaN.
     */
    public static Tensor logSumExp(Tensor x, int axis, boolean keepDims) {
        Checks.floating("logSumExp", "x", x);
        int a = Checks.axis("axis", axis, x.rank());
        long[] inShape = x.shape();
        INDArray m = finiteMax(x.data(), a); // (.., 1, ..)
        INDArray shifted = x.data().sub(m.broadcast(inShape));
        INDArray e = Transforms.exp(shifted, false);
        INDArray s = e.sum(true, a);
        INDArray lse = Transforms.log(s, true).addi(m); // (.., 1, ..)
        INDArray out = keepDims ? lse : lse.reshape('c', dropAxis(inShape, a));
        return Tensor.fromOp("logSumExp", out, g -> {
            INDArray p = e.div(s.broadcast(inShape));
            BooleanIndexing.replaceWhere(p, 0.0, Conditions.isNan());
            x.accumulateGradOwned(p.muli(g.reshape('c', s.shape()).broadcast(inShape)));
        }, x);
    }

    /** Max along axis (kept) with infinite maxima replaced by 0 so that x - max never yields inf - inf. */
    static INDArray finiteMax(INDArray x, int axis) {
        INDArray m = x.max(true, axis);
        BooleanIndexing.replaceWhere(m, 0.0, Conditions.isInfinite());
        return m;
    }

    static long[] dropAxis(long[] shape, int axis) {
        long[] out = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i != axis) {
                out[j++] = shape[i];
            }
        }
        return out;
    }

    private static long[] keptShape(long[] shape, int[] axes) {
        long[] out = shape.clone();
        for (int a : axes) {
            out[a] = 1;
        }
        return out;
    }

    private static int[] normalise(String op, Tensor x, int[] axes) {
        if (axes.length == 0) {
            throw new IllegalArgumentException(op + ": axes must not be empty (use " + op + "() to reduce everything)");
        }
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            out[i] = Checks.axis("axes[" + i + "]", axes[i], x.rank());
            for (int j = 0; j < i; j++) {
                if (out[j] == out[i]) {
                    throw new IllegalArgumentException(op + ": axes repeat: " + Arrays.toString(axes));
                }
            }
        }
        Arrays.sort(out);
        return out;
    }
}
