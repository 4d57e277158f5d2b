package dev.tessera.core;

import dev.tessera.host.BufferOps;
import dev.tessera.host.DirectOps;
import dev.tessera.host.HostMemory;
import dev.tessera.host.Parallel;
import dev.tessera.host.Scratch;
import dev.tessera.host.Simd;
import dev.tessera.host.SimdOps;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Layer norm and RMS norm over the rows of a dense float32 (N, C) buffer: the host fast path of
 * {@link Normalization}. Forward and backward sit side by side (llm.c's
 * {@code layernorm_forward}/{@code layernorm_backward}); the forward saves only the per-row mean and
 * 1/σ, and the backward recomputes x̂ = (x − mean)·rstd from x, which costs less than writing and
 * re-reading an (N, C) x̂. RMS norm is the same computation with mean 0 and no mean(dx̂) term.
 *
 * <p>Rows are split across {@link Parallel}'s threads. The forward runs {@link DirectOps#normRows}
 * over the arrays' native memory on Java 22+; elsewhere each thread copies blocks of two or more
 * rows into its {@link Scratch} array and runs {@link SimdOps#normRows} there, or, on Java 17–19,
 * {@link BufferOps#normRows}, which stores the results straight into y. The backward copies blocks
 * of rows (about 32 KB) into its {@link Scratch} arrays, runs the {@link SimdOps} row primitives, and
 * copies the result back. The weight and bias gradients are summed per thread and added up in chunk
 * order, so results are deterministic for a given thread count.
 */
final class NormKernel {
    /** Floats per block copied into scratch by the backward: small enough to stay in L1/L2 with its output. */
    private static final int BLOCK_FLOATS = 8192;

    /**
     * Floats per block of the forward (at least two rows, so that pairs of rows share their loads of
     * w and b): on the Zen 5 machine blocks of two rows of 768 ran 5–15% faster than blocks of 4–10.
     */
    private static final int FORWARD_BLOCK_FLOATS = 2048;

    private NormKernel() {}

    /**
     * Forward over dense float32 (N, C) arrays, the same bits on every path: in place over their
     * native memory where {@link Simd#direct()} offers it (Java 22+); else by blocks of rows copied
     * into per-thread arrays, the results stored straight into y where {@link Simd#buffers()} offers
     * it (Java 17–19) and copied back otherwise. w and b are (C) or null; fills mean (null for RMS
     * norm) and rstd (N).
     */
    static void forward(INDArray x, float[] w, float[] b, int n, int c, float eps, boolean rms, INDArray y,
            float[] mean, float[] rstd) {
        DirectOps d = Simd.direct();
        if (d != null) {
            long xa = HostMemory.address(x);
            long ya = HostMemory.address(y);
            Parallel.forRows(n, 4L * c, (chunk, from, to) -> d.normRows(xa, ya, c, w, b, eps, rms, mean, rstd, from, to));
        } else {
            int rowsPerBlock = Math.max(2, FORWARD_BLOCK_FLOATS / c);
            int viewRows = Math.max(1, Integer.MAX_VALUE / Float.BYTES / c); // a ByteBuffer holds < 2 GiB
            BufferOps buffers = viewRows >= rowsPerBlock ? Simd.buffers() : null; // null: rows of 1 GiB and more
            SimdOps ops = Simd.ops();
            FloatBuffer xf = HostMemory.floats(x);
            FloatBuffer yf = buffers == null ? HostMemory.floats(y) : null;
            Parallel.forRows(n, 4L * c, (chunk, from, to) -> {
                float[] xs = Scratch.floats(0, rowsPerBlock * c); // (rowsPerBlock, C)
                ByteBuffer yb = null; // y's rows [v0, v0 + viewRows)
                int v0 = from;
                for (int r0 = from; r0 < to; r0 += rowsPerBlock) {
                    int rows = Math.min(rowsPerBlock, to - r0);
                    xf.get(r0 * c, xs, 0, rows * c);
                    if (buffers == null) {
                        ops.normRows(xs, 0, rows, c, w, b, eps, rms, xs, 0, mean, rstd, r0);
                        yf.put(r0 * c, xs, 0, rows * c);
                        continue;
                    }
                    if (yb == null || (long) r0 + rows > (long) v0 + viewRows) {
                        v0 = r0;
                        yb = HostMemory.bytes(y, (long) r0 * c, (long) Math.min(viewRows, to - r0) * c);
                    }
                    buffers.normRows(xs, 0, rows, c, w, b, eps, rms, yb, (r0 - v0) * c, mean, rstd, r0);
                }
            });
        }
        Reference.reachabilityFence(x); // the addresses and views are only valid while the arrays are reachable
        Reference.reachabilityFence(y);
    }

    /**
     * Backward: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) with dx̂ = g·w (RMS norm: without the
     * mean(dx̂) term); dw = Σ_rows g·x̂, db = Σ_rows g. dx, dw, db may each be null (not wanted).
     */
    static void backward(FloatBuffer g, FloatBuffer x, float[] mean, float[] rstd, float[] w, int n, int c, boolean rms,
            FloatBuffer dx, float[] dw, float[] db) {
        SimdOps ops = Simd.ops();
        int rowsPerBlock = Math.max(1, BLOCK_FLOATS / c);
        int chunks = Parallel.chunks(n, 6L * c);
        float[][] dwParts = dw == null ? null : new float[chunks][];
        float[][] dbParts = db == null ? null : new float[chunks][];
        Parallel.forRows(n, 6L * c, (chunk, from, to) -> {
            float[] gs = Scratch.floats(0, rowsPerBlock * c);
            float[] xs = Scratch.floats(1, rowsPerBlock * c);
            float[] dxs = dx == null ? null : Scratch.floats(2, rowsPerBlock * c);
            float[] dwPart = dw == null ? null : (dwParts[chunk] = new float[c]);
            float[] dbPart = db == null ? null : (dbParts[chunk] = new float[c]);
            float[] sums = new float[2];
            for (int r0 = from; r0 < to; r0 += rowsPerBlock) {
                int rows = Math.min(rowsPerBlock, to - r0);
                g.get(r0 * c, gs, 0, rows * c);
                x.get(r0 * c, xs, 0, rows * c);
                for (int i = 0; i < rows; i++) {
                    int o = i * c;
                    float m = rms ? 0f : mean[r0 + i];
                    float rs = rstd[r0 + i];
                    float meanD = 0f;
                    float meanDX = 0f;
                    if (dx != null) {
                        ops.normBackwardSums(gs, o, xs, o, c, m, rs, w, sums);
                        meanD = rms ? 0f : sums[0] / c;
                        meanDX = sums[1] / c;
                    }
                    ops.normBackward(gs, o, xs, o, c, m, rs, w, meanD, meanDX, dxs, o, dwPart, dbPart);
                }
                if (dx != null) {
                    dx.put(r0 * c, dxs, 0, rows * c);
                }
            }
        });
        for (int k = 0; k < chunks; k++) {
            if (dw != null) {
                ops.add(dwParts[k], 0, dw, 0, c);
            }
            if (db != null) {
                ops.add(dbParts[k], 0, db, 0, c);
            }
        }
    }
}
