package dev.tessera.core;

import dev.tessera.host.HostMemory;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Elementwise arithmetic. The plain binary ops require equal shapes; the {@code *Broadcast}
 * variants apply numpy broadcasting, checked, and reduce gradients back to each input's shape.
 */
public final class Elementwise {
    private Elementwise() {}

    /** {@code a + b}, equal shapes. */
    public static Tensor add(Tensor a, Tensor b) {
        Checks.sameShape("add", "a", a, "b", b);
        return Tensor.fromOp("add", a.data().add(b.data(), newLike(a.data())), g -> {
            b.accumulateGrad(g); // a copy, before a takes g itself
            a.accumulateGradOwned(g); // g is this op's own gradient, used by nobody after this
        }, a, b);
    }

    /** {@code a - b}, equal shapes. */
    public static Tensor sub(Tensor a, Tensor b) {
        Checks.sameShape("sub", "a", a, "b", b);
        return Tensor.fromOp("sub", a.data().sub(b.data(), newLike(a.data())), g -> {
            if (b.requiresGrad()) {
                b.accumulateGradOwned(g.mul(-1.0, newLike(g)));
            }
            a.accumulateGradOwned(g); // g is this op's own gradient, used by nobody after this
        }, a, b);
    }

    /** {@code a * b}, equal shapes. */
    public static Tensor mul(Tensor a, Tensor b) {
        Checks.sameShape("mul", "a", a, "b", b);
        return Tensor.fromOp("mul", a.data().mul(b.data(), newLike(a.data())), g -> {
            if (a.requiresGrad()) {
                a.accumulateGradOwned(g.mul(b.data(), newLike(g)));
            }
            if (b.requiresGrad()) {
                b.accumulateGradOwned(g.mul(a.data(), newLike(g)));
            }
        }, a, b);
    }

    /** {@code a / b}, equal shapes. */
    public static Tensor div(Tensor a, Tensor b) {
        Checks.sameShape("div", "a", a, "b", b);
        INDArray out = a.data().div(b.data(), newLike(a.data()));
        return Tensor.fromOp("div", out, g -> {
            if (a.requiresGrad()) {
                a.accumulateGradOwned(g.div(b.data(), newLike(g)));
            }
            if (b.requiresGrad()) {
                b.accumulateGradOwned(g.mul(out).divi(b.data()).negi()); // d(a/b)/db = -(a/b)/b
            }
        }, a, b);
    }

    /**
     * A new dense array of {@code like}'s dtype and shape for an op's result: from Tessera's pool
     * where it is on for this thread, so that {@code backwardAndFree} hands its memory back warm.
     */
    private static INDArray newLike(INDArray like) {
        return HostMemory.newUninitialized(like.dataType(), like.shape());
    }

    /** {@code a + b} with numpy broadcasting. */
    public static Tensor addBroadcast(Tensor a, Tensor b) {
        return broadcast("addBroadcast", a, b, Kind.ADD);
    }

    /** {@code a - b} with numpy broadcasting. */
    public static Tensor subBroadcast(Tensor a, Tensor b) {
        return broadcast("subBroadcast", a, b, Kind.SUB);
    }

    /** {@code a * b} with numpy broadcasting. */
    public static Tensor mulBroadcast(Tensor a, Tensor b) {
        return broadcast("mulBroadcast", a, b, Kind.MUL);
    }

    /** {@code a / b} with numpy broadcasting. */
    public static Tensor divBroadcast(Tensor a, Tensor b) {
        return broadcast("divBroadcast", a, b, Kind.DIV);
    }

    private enum Kind { ADD, SUB, MUL, DIV }

    private static Tensor broadcast(String op, Tensor a, Tensor b, Kind kind) {
        Checks.sameDtype(op, "a", a, "b", b);
        long[] outShape = Checks.broadcastShape(op, "a", a.shape(), "b", b.shape());
        INDArray av = expand(a.data(), outShape);
        INDArray bv = expand(b.data(), outShape);
        INDArray out = switch (kind) {
            case ADD -> av.add(bv);
            case SUB -> av.sub(bv);
            case MUL -> av.mul(bv);
            case DIV -> av.div(bv);
        };
        return Tensor.fromOp(op, out, g -> {
            if (a.requiresGrad()) {
                INDArray ga = switch (kind) {
                    case ADD, SUB -> g;
                    case MUL -> g.mul(bv);
                    case DIV -> g.div(bv);
                };
                a.accumulateGrad(reduceTo(ga, a.shape()));
            }
            if (b.requiresGrad()) {
                INDArray gb = switch (kind) {
                    case ADD -> g;
                    case SUB -> g.neg();
                    case MUL -> g.mul(av);
                    case DIV -> g.mul(out).divi(bv).negi();
                };
                b.accumulateGrad(reduceTo(gb, b.shape()));
            }
        }, a, b);
    }

    /** Full-shape broadcast of {@code x} to {@code shape} (a view when possible). */
    static INDArray expand(INDArray x, long[] shape) {
        if (Arrays.equals(x.shape(), shape)) {
            return x;
        }
        INDArray r = x;
        if (x.rank() < shape.length) {
            long[] padded = new long[shape.length];
            Arrays.fill(padded, 1);
            System.arraycopy(x.shape(), 0, padded, shape.length - x.rank(), x.rank());
            r = x.reshape('c', padded);
        }
        return r.broadcast(shape);
    }

    /** Sums a broadcast gradient back to {@code shape}: over leading extra dims and dims that were 1. */
    static INDArray reduceTo(INDArray g, long[] shape) {
        if (Arrays.equals(g.shape(), shape)) {
            return g;
        }
        int extra = g.rank() - shape.length;
        int[] axes = new int[g.rank()];
        int n = 0;
        for (int i = 0; i < g.rank(); i++) {
            if (i < extra || (shape[i - extra] == 1 && g.size(i) != 1)) {
                axes[n++] = i;
            }
        }
        INDArray r = n == 0 ? g : g.sum(true, Arrays.copyOf(axes, n));
        return r.reshape('c', shape);
    }

    /** {@code a + c} for a scalar c. */
    public static Tensor addScalar(Tensor a, double c) {
        return Tensor.fromOp("addScalar", a.data().add(c), a::accumulateGrad, a);
    }

    /** {@code a * c} for a scalar c. */
    public static Tensor mulScalar(Tensor a, double c) {
        return Tensor.fromOp("mulScalar", a.data().mul(c), g -> a.accumulateGradOwned(g.mul(c)), a);
    }

    /** {@code a ^ p} elementwise. */
    public static Tensor pow(Tensor a, double p) {
        Checks.floating("pow", "a", a);
        return Tensor.fromOp("pow", Transforms.pow(a.data(), p, true),
                g -> a.accumulateGradOwned(Transforms.pow(a.data(), p - 1, true).muli(g).muli(p)), a);
    }

    /** Square root. */
    public static Tensor sqrt(Tensor a) {
        Checks.floating("sqrt", "a", a);
        INDArray out = Transforms.sqrt(a.data(), true);
        return Tensor.fromOp("sqrt", out, g -> a.accumulateGradOwned(g.div(out).muli(0.5)), a);
    }

    /** e^a. */
    public static Tensor exp(Tensor a) {
        Checks.floating("exp", "a", a);
        INDArray out = Transforms.exp(a.data(), true);
        return Tensor.fromOp("exp", out, g -> a.accumulateGradOwned(g.mul(out)), a);
    }

    /** Natural logarithm. */
    public static Tensor log(Tensor a) {
        Checks.floating("log", "a", a);
        return Tensor.fromOp("log", Transforms.log(a.data(), true), g -> a.accumulateGradOwned(g.div(a.data())), a);
    }

    /** |a|; the gradient at 0 is 0. */
    public static Tensor abs(Tensor a) {
        return Tensor.fromOp("abs", Transforms.abs(a.data(), true),
                g -> a.accumulateGradOwned(Transforms.sign(a.data(), true).muli(g)), a);
    }
}
