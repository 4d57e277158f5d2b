package dev.tessera.core;

import dev.tessera.host.HostMemory;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Gathers, embedding lookup, masked fill and where. */
public final class Indexing {
    private Indexing() {}

    /**
     * Rows of {@code weight} (V, C) picked by integer {@code ids} of any shape S: result S + (C).
     * Ids are checked against [0, V). The backward scatter-adds rows, so repeated ids accumulate.
     * Float32 on the CPU backend runs a row-parallel fused gather and scatter-add; other cases
     * use ND4J ops (see {@code RowGather}).
     */
    public static Tensor embedding(Tensor weight, INDArray ids) {
        Checks.rank("embedding", "weight", weight, 2);
        long vocab = weight.size(0);
        int c = (int) weight.size(1);
        int[] idx = checkedIds("embedding", "ids", ids, vocab);
        long[] outShape = Arrays.copyOf(ids.shape(), ids.rank() + 1);
        outShape[ids.rank()] = c;
        INDArray out = RowGather.gather(weight.data(), vocab, c, idx).reshape('c', outShape); // S + (C)
        return Tensor.fromOpReadingGradient("embedding", out, g -> weight.accumulateGradOwned(RowGather.scatterAdd(g, idx, vocab, c)),
                weight);
    }

    /** Rows of {@code x} (N, ...) at {@code indices} along dim 0 (any other dim via permute); repeated indices allowed. */
    public static Tensor indexSelect(Tensor x, int dim, int[] indices) {
        int d = Checks.axis("dim", dim, x.rank());
        if (d != 0) {
            int[] perm = new int[x.rank()];
            perm[0] = d;
            for (int i = 1, j = 0; i < perm.length; i++, j++) {
                if (j == d) {
                    j++;
                }
                perm[i] = j;
            }
            int[] inverse = new int[perm.length];
            for (int i = 0; i < perm.length; i++) {
                inverse[perm[i]] = i;
            }
            return indexSelect(x.permute(perm), 0, indices).permute(inverse);
        }
        long n = x.size(0);
        long rest = x.length() / Math.max(1, n);
        INDArray ids = Nd4j.createFromArray(indices);
        int[] idx = checkedIds("indexSelect", "indices", ids, n);
        long[] outShape = x.shape();
        outShape[0] = indices.length;
        INDArray out = RowGather.gather(x.data(), n, Math.toIntExact(rest), idx).reshape('c', outShape);
        long[] inShape = x.shape();
        return Tensor.fromOp("indexSelect", out,
                g -> x.accumulateGradOwned(RowGather.scatterAdd(g, idx, n, Math.toIntExact(rest)).reshape('c', inShape)), x);
    }

    /**
     * Picks one element per row of the last dim: {@code x} (..., V), {@code index} (...) integer
     * → (...). out[i] = x[i, index[i]]. Used for the log-probabilities of chosen tokens.
     */
    public static Tensor gatherLast(Tensor x, INDArray index) {
        long v = x.size(-1);
        long[] expected = Arrays.copyOf(x.shape(), x.rank() - 1);
        Checks.shape("gatherLast", "index", index, expected);
        int[] idx = checkedIds("gatherLast", "index", index, v);
        INDArray flat = x.data().reshape('c', -1, v); // (N, V)
        double[] vals = new double[idx.length];
        INDArray xf = HostMemory.dense(flat);
        for (int i = 0; i < idx.length; i++) {
            vals[i] = xf.getDouble(i * v + idx[i]);
        }
        INDArray out = Nd4j.create(vals, expected.length == 0 ? new long[0] : expected, 'c').castTo(x.dtype());
        long[] inShape = x.shape();
        return Tensor.fromOp("gatherLast", out, g -> {
            INDArray gf = g.dup('c').reshape('c', new long[] {g.length()});
            INDArray full = Nd4j.zeros(x.dtype(), idx.length, v);
            for (int i = 0; i < idx.length; i++) {
                full.putScalar((long) i * v + idx[i], gf.getDouble(i));
            }
            x.accumulateGradOwned(full.reshape('c', inShape));
        }, x);
    }

    /**
     * Replaces elements where {@code mask} is true (non-zero) with {@code value}. The mask may
     * broadcast to x's shape (e.g. a causal (T, T) mask over (B, H, T, T) scores); no gradient
     * flows to replaced elements, and NaN in replaced elements does not leak.
     */
    public static Tensor maskedFill(Tensor x, Tensor mask, double value) {
        long[] shape = x.shape();
        long[] bshape = Checks.broadcastShape("maskedFill", "x", shape, "mask", mask.shape());
        if (!Arrays.equals(bshape, shape)) {
            throw new IllegalArgumentException("maskedFill: mask of shape " + Arrays.toString(mask.shape())
                    + " must broadcast to x's shape " + Arrays.toString(shape) + ", not enlarge it");
        }
        boolean[] fill = truth(Elementwise.expand(mask.data(), shape));
        double[] xv = doubles(x.data());
        for (int i = 0; i < xv.length; i++) {
            if (fill[i]) {
                xv[i] = value;
            }
        }
        return Tensor.fromOp("maskedFill", create(xv, shape, x.dtype()), g -> {
            double[] gv = doubles(g);
            for (int i = 0; i < gv.length; i++) {
                if (fill[i]) {
                    gv[i] = 0;
                }
            }
            x.accumulateGradOwned(create(gv, shape, g.dataType()));
        }, x);
    }

    /** {@code cond ? a : b} elementwise; cond (bool or numeric, non-zero = true) has the shape of a and b. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        Checks.sameShape("where", "a", a, "b", b);
        Checks.shape("where", "cond", cond.data(), a.shape());
        long[] shape = a.shape();
        boolean[] take = truth(cond.data());
        double[] av = doubles(a.data());
        double[] bv = doubles(b.data());
        for (int i = 0; i < bv.length; i++) {
            if (take[i]) {
                bv[i] = av[i];
            }
        }
        return Tensor.fromOp("where", create(bv, shape, a.dtype()), g -> {
            double[] gv = doubles(g);
            double[] ga = new double[gv.length];
            for (int i = 0; i < gv.length; i++) {
                if (take[i]) {
                    ga[i] = gv[i];
                    gv[i] = 0;
                }
            }
            a.accumulateGradOwned(create(ga, shape, g.dataType()));
            b.accumulateGradOwned(create(gv, shape, g.dataType()));
        }, a, b);
    }

    /** Row-major values of any array (views included) as doubles. */
    static double[] doubles(INDArray x) {
        INDArray c = HostMemory.dense(x);
        double[] v = c.castTo(DataType.DOUBLE).data().asDouble();
        return v.length == x.length() ? v : Arrays.copyOf(v, (int) x.length());
    }

    /** Row-major truth values (non-zero = true) of any array. */
    static boolean[] truth(INDArray x) {
        double[] v = doubles(x.dataType() == DataType.BOOL ? x.castTo(DataType.DOUBLE) : x);
        boolean[] out = new boolean[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] != 0;
        }
        return out;
    }

    static INDArray create(double[] v, long[] shape, DataType dtype) {
        INDArray d = Nd4j.create(v, shape, DataType.DOUBLE);
        return dtype == DataType.DOUBLE ? d : d.castTo(dtype);
    }

    /** Integer ids as int[], each checked to lie in [0, bound). */
    static int[] checkedIds(String op, String name, INDArray ids, long bound) {
        if (ids.dataType().isFPType() || ids.dataType() == DataType.BOOL) {
            throw new IllegalArgumentException(op + ": " + name + " must have an integer dtype but has " + ids.dataType());
        }
        if (ids.isEmpty()) {
            return new int[0];
        }
        // a dense array's buffer is read as it is (converted to int); only a view is copied first
        int[] out = (HostMemory.isDense(ids) ? ids : ids.dup('c')).data().asInt();
        if (out.length != ids.length()) {
            out = Arrays.copyOf(out, (int) ids.length());
        }
        for (int i = 0; i < out.length; i++) {
            if (out[i] < 0 || out[i] >= bound) {
                throw new IllegalArgumentException(op + ": " + name + " must lie in [0, " + bound + ") but element " + i
                        + " is " + out[i]);
            }
        }
        return out;
    }
}
