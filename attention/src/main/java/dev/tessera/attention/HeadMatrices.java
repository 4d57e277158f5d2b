package dev.tessera.attention;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where the per-head matrices of one attention operand live in memory: head {@code h} of batch row
 * {@code b} is a row-major ({@code rows}, {@code cols}) matrix with unit column stride and row
 * stride {@code ld}, starting {@code b·batchStride + h·headStride} elements after element 0.
 *
 * <p>Two layouts are described without copying: a (B, H, T, D) array with any strides whose last
 * stride is 1 (a dense array, or the permuted view (B, T, H, D) → (B, H, T, D) a multi-head layer
 * makes), and {@code heads} consecutive blocks of {@code cols} columns of a (B, T, W) array (the
 * q, k or v part of a fused (B, T, 3C) projection, or an output written straight into (B, T, C)).
 * {@link HeadGemm} multiplies such matrices on their own memory.
 */
final class HeadMatrices {
    final INDArray array; // owns the memory; kept reachable by whoever holds this
    final int heads;
    final int rows;
    final int cols;
    final long batchStride; // elements
    final long headStride; // elements
    final int ld; // elements between rows
    private final long col0; // first column of head 0 (columns layout), 0 for the heads layout
    private final boolean columnsLayout;

    private HeadMatrices(INDArray array, int heads, int rows, int cols, long batchStride, long headStride, int ld,
            long col0, boolean columnsLayout) {
        this.array = array;
        this.heads = heads;
        this.rows = rows;
        this.cols = cols;
        this.batchStride = batchStride;
        this.headStride = headStride;
        this.ld = ld;
        this.col0 = col0;
        this.columnsLayout = columnsLayout;
    }

    /**
     * A (B, H, T, D) array's heads, or null where its last stride is not 1 or a row stride does
     * not fit an int (the caller then copies it densely first).
     */
    static HeadMatrices ofHeads(INDArray x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("HeadMatrices.ofHeads: x must be 4-D (B, H, T, D), got shape "
                    + Arrays.toString(x.shape()));
        }
        int rows = Math.toIntExact(x.size(2));
        int cols = Math.toIntExact(x.size(3));
        // Axes of size 1 are never stepped along, so their strides (arbitrary in ND4J) do not matter.
        if (cols > 1 && x.stride(3) != 1) {
            return null;
        }
        long ld = rows > 1 ? x.stride(2) : Math.max(1, cols);
        if (ld < Math.max(1, cols) || ld > Integer.MAX_VALUE) {
            return null;
        }
        long bs = x.size(0) > 1 ? x.stride(0) : 0;
        long hs = x.size(1) > 1 ? x.stride(1) : 0;
        if (bs < 0 || hs < 0) {
            return null;
        }
        return new HeadMatrices(x, Math.toIntExact(x.size(1)), rows, cols, bs, hs, (int) ld, 0, false);
    }

    /**
     * Heads {@code 0..heads-1} of a (B, T, W) array, head h being columns
     * {@code [col0 + h·cols, col0 + (h+1)·cols)}.
     *
     * @throws IllegalArgumentException if the columns do not fit in W, or the array's last stride
     *     is not 1 (the caller makes the arrays it passes here)
     */
    static HeadMatrices ofColumns(INDArray x, long col0, int heads, int cols) {
        if (x.rank() != 3) {
            throw new IllegalArgumentException("HeadMatrices.ofColumns: x must be 3-D (B, T, W), got shape "
                    + Arrays.toString(x.shape()));
        }
        if (col0 < 0 || col0 + (long) heads * cols > x.size(2)) {
            throw new IllegalArgumentException("HeadMatrices.ofColumns: columns [" + col0 + ", "
                    + (col0 + (long) heads * cols) + ") do not fit in W = " + x.size(2) + " of shape "
                    + Arrays.toString(x.shape()));
        }
        int rows = Math.toIntExact(x.size(1));
        if (x.size(2) > 1 && x.stride(2) != 1) {
            throw new IllegalArgumentException("HeadMatrices.ofColumns: x must have unit column stride, got strides "
                    + Arrays.toString(x.stride()) + " for shape " + Arrays.toString(x.shape()));
        }
        long ld = rows > 1 ? x.stride(1) : x.size(2);
        long bs = x.size(0) > 1 ? x.stride(0) : 0;
        return new HeadMatrices(x, heads, rows, cols, bs, cols, Math.toIntExact(ld), col0, true);
    }

    private long address; // of the array's element 0, read on first use (host memory only)

    /** The native address of the array's element 0 (CPU backend only). */
    long address() {
        if (address == 0) {
            address = array.data().addressPointer().address(); // a view's buffer pointer includes its offset
        }
        return address;
    }

    /** Element offset of (b, h, row, col) from the array's element 0. */
    long offset(int b, int h, int row, int col) {
        return b * batchStride + h * headStride + (long) row * ld + col0 + col;
    }

    /**
     * The (r1 − r0, c1 − c0) block of head h of batch row b as an ND4J view over the array's buffer
     * (rows ld apart, unit column stride), for the portable products of {@link HeadGemm}. Built from
     * the strides rather than with {@code get()}, which drops axes of size 1 and returned an empty
     * array for a one-row block of a permuted view.
     */
    INDArray view(int b, int h, int r0, int r1, int c0, int c1) {
        return Nd4j.create(array.data(), new long[] {r1 - r0, c1 - c0}, new long[] {ld, 1},
                array.offset() + offset(b, h, r0, c0), 'c');
    }
}
