package dev.tessera.core;

import dev.tessera.host.HostMemory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Reshape, transpose, permute, slice, concat and split. Views where ND4J can give one. */
public final class ShapeOps {
    private ShapeOps() {}

    /** Row-major reshape; one dimension may be -1 (inferred). */
    public static Tensor reshape(Tensor x, long... shape) {
        long[] target = inferShape("reshape", x, shape);
        long[] inShape = x.shape();
        if (Arrays.equals(target, inShape)) {
            return x;
        }
        // The output gradient g is this op's own, used by nobody after this: its reshaped view is
        // handed on without a copy.
        return Tensor.fromOp("reshape", reshapeData(x.data(), target), g -> x.accumulateGradOwned(g.reshape('c', inShape)), x);
    }

    /**
     * {@code x} reshaped row-major: a view where the strides allow one, otherwise a dense copy
     * (from the pool where it is on, instead of ND4J's own fresh copy).
     */
    private static INDArray reshapeData(INDArray x, long[] target) {
        if (HostMemory.isDense(x)) {
            return x.reshape('c', target);
        }
        INDArray view = Shape.newShapeNoCopy(x, target, false);
        return view != null ? view : HostMemory.copy(x).reshape('c', target);
    }

    private static long[] inferShape(String op, Tensor x, long[] shape) {
        long known = 1;
        int infer = -1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + ": at most one dimension may be -1, got " + Arrays.toString(shape));
                }
                infer = i;
            } else if (shape[i] < 0) {
                throw new IllegalArgumentException(op + ": dimensions must be >= 0 or -1, got " + Arrays.toString(shape));
            } else {
                known *= shape[i];
            }
        }
        long[] out = shape.clone();
        if (infer >= 0) {
            if (known == 0 || x.length() % known != 0) {
                throw new IllegalArgumentException(op + ": cannot infer -1 in " + Arrays.toString(shape)
                        + " for a tensor of shape " + Arrays.toString(x.shape()) + " (" + x.length() + " elements)");
            }
            out[infer] = x.length() / known;
        } else if (known != x.length()) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " has " + known
                    + " elements but the tensor of shape " + Arrays.toString(x.shape()) + " has " + x.length());
        }
        return out;
    }

    /** Swaps two dimensions (a view). */
    public static Tensor transpose(Tensor x, int dim0, int dim1) {
        int r = x.rank();
        int a = Checks.axis("dim0", dim0, r);
        int b = Checks.axis("dim1", dim1, r);
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) {
            perm[i] = i;
        }
        perm[a] = b;
        perm[b] = a;
        return permute(x, perm);
    }

    /** Reorders dimensions (a view); {@code dims} must be a permutation of 0..rank-1. */
    public static Tensor permute(Tensor x, int... dims) {
        int r = x.rank();
        if (dims.length != r) {
            throw new IllegalArgumentException("permute: dims must have " + r + " entries for shape "
                    + Arrays.toString(x.shape()) + " but was " + Arrays.toString(dims));
        }
        int[] inverse = new int[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            int d = Checks.axis("dims[" + i + "]", dims[i], r);
            if (seen[d]) {
                throw new IllegalArgumentException("permute: dims must be a permutation but was " + Arrays.toString(dims));
            }
            seen[d] = true;
            inverse[d] = i;
        }
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) {
            perm[i] = Checks.axis("dims", dims[i], r);
        }
        return Tensor.fromOp("permute", x.data().permute(perm), g -> x.accumulateGrad(g.permute(inverse)), x);
    }

    /** Elements {@code [start, end)} along {@code dim} (a view). */
    public static Tensor slice(Tensor x, int dim, long start, long end) {
        int d = Checks.axis("dim", dim, x.rank());
        long size = x.shape()[d];
        if (start < 0 || end > size || start > end) {
            throw new IllegalArgumentException("slice: need 0 <= start <= end <= " + size + " along dim " + dim
                    + " of shape " + Arrays.toString(x.shape()) + ", but start = " + start + ", end = " + end);
        }
        INDArrayIndex[] idx = new INDArrayIndex[x.rank()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i == d ? NDArrayIndex.interval(start, end) : NDArrayIndex.all();
        }
        return Tensor.fromOp("slice", x.data().get(idx), g -> x.accumulateGradRegion(idx, g), x);
    }

    /** Inserts a dimension of size 1 at {@code dim} (in [-rank-1, rank]). */
    public static Tensor unsqueeze(Tensor x, int dim) {
        int d = Checks.axis("dim", dim, x.rank() + 1);
        long[] s = x.shape();
        long[] out = new long[s.length + 1];
        for (int i = 0, j = 0; i < out.length; i++) {
            out[i] = i == d ? 1 : s[j++];
        }
        return reshape(x, out);
    }

    /** Removes dimension {@code dim}, which must have size 1. */
    public static Tensor squeeze(Tensor x, int dim) {
        int d = Checks.axis("dim", dim, x.rank());
        long[] s = x.shape();
        if (s[d] != 1) {
            throw new IllegalArgumentException("squeeze: dim " + dim + " of shape " + Arrays.toString(s) + " has size " + s[d] + ", not 1");
        }
        long[] out = new long[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i != d) {
                out[j++] = s[i];
            }
        }
        return reshape(x, out);
    }

    /** A C-order copy when {@code x} is a view with other strides, else {@code x} itself. */
    public static Tensor contiguous(Tensor x) {
        INDArray d = x.data();
        if (HostMemory.isDense(d)) {
            return x;
        }
        return Tensor.fromOp("contiguous", d.dup('c'), x::accumulateGrad, x);
    }

    /** Concatenates along {@code dim}; all other dims and the dtype must match. */
    public static Tensor concat(int dim, List<Tensor> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("concat: parts must not be empty");
        }
        Tensor first = parts.get(0);
        int d = Checks.axis("dim", dim, first.rank());
        INDArray[] arrays = new INDArray[parts.size()];
        long[] offsets = new long[parts.size() + 1];
        for (int i = 0; i < parts.size(); i++) {
            Tensor p = parts.get(i);
            Checks.sameDtype("concat", "parts[0]", first, "parts[" + i + "]", p);
            if (p.rank() != first.rank()) {
                throw new IllegalArgumentException("concat: parts[" + i + "] has shape " + Arrays.toString(p.shape())
                        + " but parts[0] has shape " + Arrays.toString(first.shape()));
            }
            for (int j = 0; j < p.rank(); j++) {
                if (j != d && p.shape()[j] != first.shape()[j]) {
                    throw new IllegalArgumentException("concat: parts[" + i + "] has shape " + Arrays.toString(p.shape())
                            + " but parts[0] has shape " + Arrays.toString(first.shape()) + "; only dim " + dim + " may differ");
                }
            }
            arrays[i] = p.data();
            offsets[i + 1] = offsets[i] + p.shape()[d];
        }
        INDArray out = parts.size() == 1 ? first.data().dup('c') : Nd4j.concat(d, arrays);
        Tensor[] inputs = parts.toArray(new Tensor[0]);
        return Tensor.fromOp("concat", out, g -> {
            for (int i = 0; i < inputs.length; i++) {
                if (inputs[i].requiresGrad()) {
                    INDArrayIndex[] idx = new INDArrayIndex[g.rank()];
                    for (int j = 0; j < idx.length; j++) {
                        idx[j] = j == d ? NDArrayIndex.interval(offsets[i], offsets[i + 1]) : NDArrayIndex.all();
                    }
                    inputs[i].accumulateGrad(g.get(idx));
                }
            }
        }, inputs);
    }

    /** Splits along {@code dim} into consecutive parts of the given sizes (which must add up to the dim). */
    public static List<Tensor> split(Tensor x, int dim, long... sizes) {
        int d = Checks.axis("dim", dim, x.rank());
        long total = 0;
        for (long s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException("split: sizes must be >= 0 but were " + Arrays.toString(sizes));
            }
            total += s;
        }
        if (total != x.shape()[d]) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " add up to " + total
                    + " but dim " + dim + " of shape " + Arrays.toString(x.shape()) + " has size " + x.shape()[d]);
        }
        List<Tensor> out = new ArrayList<>(sizes.length);
        long start = 0;
        for (long s : sizes) {
            out.add(slice(x, d, start, start + s));
            start += s;
        }
        return out;
    }
}
