package dev.tessera.host;

import java.nio.ByteBuffer;

/**
 * Kernels that read their input from a per-thread array block and store their results straight
 * into native memory through a {@code ByteBuffer}: the Java 17–19 path of the kernels that have one.
 * There the Vector API reaches native memory only through {@code ByteBuffer}s, and the host kernels
 * copy blocks of their inputs into arrays ({@code ElementwiseKernel}); storing the results through
 * the buffer instead of into a second array saves the copy back. On the Zen 5 machine, two threads,
 * the kernels alone (one process, alternating): exact GELU over 2 M floats 0.52–0.65 ms against
 * 0.64–0.80 with the copy back, layer norm over (2048, 768) 0.26–0.29 ms against 0.29–0.34; through
 * the benchmarks' whole ops (JMH, {@code -Dtessera.simd.buffers=off} against on, alternating forks)
 * exact GELU gained about 6% and layer norm nothing measurable on that noisy machine.
 *
 * <p>The implementation ({@code dev.tessera.host.VectorBufferOps}) is loaded by {@link Simd#buffers()}
 * only where the Vector API has {@code intoByteBuffer} (Java 17–19; Java 20 replaced it with
 * {@code MemorySegment} stores, and Java 22+ takes {@link DirectOps}). Each method gives the bits of
 * the {@link SimdOps} array form it names. Buffers are native-order views from
 * {@link HostMemory#bytes}; indices into them are in floats.
 */
public interface BufferOps {
    /** y[yo + i] = gelu(x[xo + i]) for i in [0, n): {@link SimdOps#gelu}'s bits. */
    void gelu(float[] x, int xo, int n, ByteBuffer y, int yo);

    /**
     * {@link SimdOps#normRows(float[], int, int, int, float[], float[], float, boolean, float[], int, float[], float[], int)}
     * with the rows stored into y from float index yo: the same bits.
     */
    void normRows(float[] x, int xo, int rows, int c, float[] w, float[] b, float eps, boolean rms,
            ByteBuffer y, int yo, float[] mean, float[] rstd, int ro);
}
