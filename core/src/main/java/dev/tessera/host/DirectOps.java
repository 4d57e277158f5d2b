package dev.tessera.host;

/**
 * Element-wise and row (norm) float32 kernels that read and write native memory in place, by
 * address, with no copy into Java arrays: the Java 22+ path of the host kernels. Java 17's Vector
 * API reaches native memory only through {@code ByteBuffer}s, slow enough that the kernels there
 * copy blocks into per-thread arrays instead ({@code ElementwiseKernel}; some store their results
 * through {@code ByteBuffer}s, {@link BufferOps}); Java 22 made
 * {@code MemorySegment} final and the Vector API loads from it as fast as from an array. The implementation
 * ({@code dev.tessera.host.SegmentOps}) is compiled by a Java 22+ compiler into the core jar's
 * {@code META-INF/versions/22} (a multi-release jar) and {@link Simd#direct()} loads it only on such
 * a JVM with the {@code jdk.incubator.vector} module. A jar built by a Java 17 compiler has no such
 * class and every JDK takes the array path; the results are the same bits either way.
 *
 * <p>Addresses are of dense float32 buffers that stay allocated for the call; {@code from} and
 * {@code to} are element indices, any range (a tail shorter than a vector runs the scalar formulas).
 */
public interface DirectOps {
    /** y = gelu(x) (exact GELU, the same rational function as {@link SimdOps#gelu}) on [from, to). */
    void gelu(long x, long y, long from, long to);

    /** dx = g·gelu'(x) on [from, to), as {@link SimdOps#geluBackward}. */
    void geluBackward(long x, long g, long dx, long from, long to);

    /** y = silu(gate)·up on [from, to), as {@link SimdOps#swiglu} (the same bits). */
    void swiglu(long gate, long up, long y, long from, long to);

    /**
     * Layer norm ({@code rms} false) or RMS norm ({@code rms} true) forward of rows [rowFrom, rowTo)
     * of the dense (rows, c) buffer at {@code x} into the one at {@code y}: the steps of
     * {@link SimdOps#normRows(float[], int, int, int, float[], float[], float, boolean, float[], int, float[], float[], int)}
     * (the Vector API version) in their order, so the results are the same bits. Writes mean[r] (mean
     * may be null for RMS norm) and rstd[r]; w and b are (c) or null.
     */
    void normRows(long x, long y, int c, float[] w, float[] b, float eps, boolean rms, float[] mean, float[] rstd,
            int rowFrom, int rowTo);
}
