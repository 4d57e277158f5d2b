package dev.tessera.core;

import dev.tessera.host.Parallel;
import dev.tessera.host.Scratch;
import dev.tessera.host.Simd;
import dev.tessera.host.SimdOps;
import java.nio.FloatBuffer;

/**
 * What a linear layer does to its GEMM output on the host, row-parallel over float32 (N, C)
 * buffers: the bias add, the fused bias + GELU forward, and the fused GELU backward with the bias
 * gradient's column sums. Each is one pass over memory: a block of whole rows is copied into the
 * thread's {@link Scratch} arrays, every step of the epilogue runs on it while it is in cache, and
 * the results are copied back (ND4J's broadcast add and a separate activation would be two or three
 * passes over the (N, C) array, each a trip to memory at the step's sizes).
 */
final class LinearEpilogue {
    /** Floats per block (32 KB per array): whole rows, at least one. */
    private static final int BLOCK = 8192;
    /** Work per element for the parallel threshold: an add is ~1, a GELU ~20. */
    private static final long ADD_COST = 1;
    private static final long GELU_COST = 20;

    private LinearEpilogue() {}

    /** The activation fused after the bias. */
    enum Gelu {
        /** Exact GELU, x·Φ(x). */
        EXACT,
        /** GPT-2's tanh approximation. */
        TANH;

        void forward(SimdOps ops, float[] h, int ho, int n, float[] y, int yo) {
            if (this == EXACT) {
                ops.gelu(h, ho, n, y, yo);
            } else {
                ops.geluTanh(h, ho, n, y, yo);
            }
        }

        void backward(SimdOps ops, float[] h, int ho, float[] g, int go, int n, float[] dh, int dho) {
            if (this == EXACT) {
                ops.geluBackward(h, ho, g, go, n, dh, dho);
            } else {
                ops.geluTanhBackward(h, ho, g, go, n, dh, dho);
            }
        }
    }

    /** y[r, :] += bias for every row r of the (rows, cols) buffer y, in place. */
    static void addBias(FloatBuffer y, int rows, int cols, float[] bias) {
        SimdOps ops = Simd.ops();
        int rowsPerBlock = rowsPerBlock(cols);
        Parallel.forRows(rows, ADD_COST * cols, (chunk, from, to) -> {
            float[] ys = Scratch.floats(0, rowsPerBlock * cols);
            for (int r = from; r < to; r += rowsPerBlock) {
                int nr = Math.min(rowsPerBlock, to - r);
                int off = r * cols;
                y.get(off, ys, 0, nr * cols);
                for (int i = 0; i < nr; i++) {
                    ops.add(bias, 0, ys, i * cols, cols);
                }
                y.put(off, ys, 0, nr * cols);
            }
        });
    }

    /**
     * h ← h + bias (in place: the pre-activation the backward needs) and y = gelu(h), for the
     * (rows, cols) buffers h and y.
     */
    static void biasGelu(FloatBuffer h, int rows, int cols, float[] bias, Gelu gelu, FloatBuffer y) {
        SimdOps ops = Simd.ops();
        int rowsPerBlock = rowsPerBlock(cols);
        Parallel.forRows(rows, GELU_COST * cols, (chunk, from, to) -> {
            float[] hs = Scratch.floats(0, rowsPerBlock * cols);
            float[] ys = Scratch.floats(1, rowsPerBlock * cols);
            for (int r = from; r < to; r += rowsPerBlock) {
                int nr = Math.min(rowsPerBlock, to - r);
                int off = r * cols;
                int n = nr * cols;
                h.get(off, hs, 0, n);
                for (int i = 0; i < nr; i++) {
                    ops.add(bias, 0, hs, i * cols, cols);
                }
                gelu.forward(ops, hs, 0, n, ys, 0);
                h.put(off, hs, 0, n);
                y.put(off, ys, 0, n);
            }
        });
    }

    /**
     * dh = g·gelu'(h) for the (rows, cols) buffers, and returns the bias gradient Σ_rows dh (cols).
     * Each thread sums its contiguous range of rows into its own partial sums, which are then added
     * in chunk order, so the result is deterministic for a given thread count.
     */
    static float[] geluBackwardWithBiasGrad(FloatBuffer h, FloatBuffer g, int rows, int cols, Gelu gelu, FloatBuffer dh) {
        SimdOps ops = Simd.ops();
        int rowsPerBlock = rowsPerBlock(cols);
        int chunks = Parallel.chunks(rows, GELU_COST * cols);
        float[][] partial = new float[chunks][cols];
        Parallel.forRows(rows, GELU_COST * cols, (chunk, from, to) -> {
            float[] hs = Scratch.floats(0, rowsPerBlock * cols);
            float[] gs = Scratch.floats(1, rowsPerBlock * cols);
            float[] sums = partial[chunk];
            for (int r = from; r < to; r += rowsPerBlock) {
                int nr = Math.min(rowsPerBlock, to - r);
                int off = r * cols;
                int n = nr * cols;
                h.get(off, hs, 0, n);
                g.get(off, gs, 0, n);
                gelu.backward(ops, hs, 0, gs, 0, n, gs, 0);
                for (int i = 0; i < nr; i++) {
                    ops.add(gs, i * cols, sums, 0, cols);
                }
                dh.put(off, gs, 0, n);
            }
        });
        float[] bias = partial[0];
        for (int c = 1; c < chunks; c++) {
            ops.add(partial[c], 0, bias, 0, cols);
        }
        return bias;
    }

    private static int rowsPerBlock(int cols) {
        return Math.max(1, BLOCK / Math.max(1, cols));
    }
}
