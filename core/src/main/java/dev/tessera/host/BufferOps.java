package dev.tessera.host;

import java.nio.ByteBuffer;

/**
 * Kernels that reach native memory through {@code ByteBuffer}s: the Java 17–19 path of the kernels
 * that have one. There the Vector API reads and writes native memory only through
 * {@code ByteBuffer}s, and the other host kernels copy blocks of their inputs into per-thread
 * arrays and their results back ({@code ElementwiseKernel}, {@code NormKernel}).
 *
 * <p>Which kernels, and why those: it depends on how much arithmetic each float carries. Exact
 * GELU (a rational function per element) loads and stores every vector through the buffers: on
 * the Zen 5 machine, two threads over 2 M floats, 0.45–0.51 ms against 0.57–0.67 ms for copying
 * 8192-float blocks in and storing through the buffer (one process, alternating, medians of 300).
 * The norm forwards read each row three times (sum, sum of squared differences, normalise), and
 * there the buffer loads measured no faster than a copy of two rows into an array (0.31–0.34 ms
 * against 0.29–0.35 over (2048, 768)), so they copy their rows in and store through the buffer,
 * which saves the copy back.
 *
 * <p>The implementation ({@code dev.tessera.host.VectorBufferOps}) is loaded by {@link Simd#buffers()}
 * only where the Vector API has {@code intoByteBuffer} (Java 17–19; Java 20 replaced it with
 * {@code MemorySegment} stores, and Java 22+ takes {@link DirectOps}). Each method gives the bits of
 * the {@link SimdOps} array form it names. Buffers are native-order views from
 * {@link HostMemory#bytes}; indices into them are in floats. Inputs and outputs may be the same
 * memory at the same index (each vector is loaded before it is stored).
 */
public interface BufferOps {
    /** y[yo + i] = gelu(x[xo + i]) for i in [0, n): {@link SimdOps#gelu}'s bits. */
    void gelu(ByteBuffer x, int xo, int n, ByteBuffer y, int yo);

    /** dx[dxo + i] = gelu'(x[xo + i])·g[go + i] for i in [0, n): {@link SimdOps#geluBackward}'s bits. */
    void geluBackward(ByteBuffer x, int xo, ByteBuffer g, int go, int n, ByteBuffer dx, int dxo);

    /**
     * {@link SimdOps#normRows(float[], int, int, int, float[], float[], float, boolean, float[], int, float[], float[], int)}
     * with the rows stored into y from float index yo: the same bits.
     */
    void normRows(float[] x, int xo, int rows, int c, float[] w, float[] b, float eps, boolean rms,
            ByteBuffer y, int yo, float[] mean, float[] rstd, int ro);
}
