/**
 * Host memory and SIMD: the one layer that fast CPU kernels build on (internal API; the classes are
 * public only so that Tessera's other modules can use them).
 *
 * <ul>
 *   <li>{@link dev.tessera.host.HostMemory}: whether host kernels may run (ND4J's CPU backend and
 *       {@code tessera.kernels} not {@code portable}), and bulk reads and writes between an
 *       {@code INDArray}'s native buffer and Java arrays. Every kernel built on it keeps a portable
 *       path built from ND4J ops only, taken when {@link dev.tessera.host.HostMemory#available()} is
 *       false (ND4J's CUDA backend, or forced for tests).</li>
 *   <li>{@link dev.tessera.host.Scratch}: reused per-thread {@code float[]} work space, so kernels
 *       allocate nothing per call.</li>
 *   <li>{@link dev.tessera.host.SimdOps} and {@link dev.tessera.host.Simd}: the float32 row and
 *       element primitives, one implementation on the Java Vector API (chosen at run time when the
 *       JVM was started with {@code --add-modules jdk.incubator.vector}) and a scalar one
 *       otherwise.</li>
 *   <li>{@link dev.tessera.host.Parallel}: row-parallel loops on a pool sized by
 *       {@code Backend.setThreads(n)}.</li>
 * </ul>
 *
 * <p><b>Design note (why arrays, not buffers).</b> On Java 17 the Vector API reaches native memory
 * only through {@code FloatVector.fromByteBuffer}, measured 1.3–1.8× slower than the same kernel over
 * {@code float[]} (Zen 4, layer norm and tanh-GELU rows); Java 21+ replaced that entry point by
 * {@code fromMemorySegment}, which is as fast as arrays but does not exist on 17. Kernels here
 * therefore copy a block of rows (a few tens of KB, cache resident) from the native buffer into a
 * per-thread array with one bulk {@code FloatBuffer} copy (a memcpy, no JNI call), compute on
 * arrays with {@code fromArray}/{@code intoArray}, and copy the result block back. The same code runs
 * on every JDK from 17 on; the copies cost less than most kernels' arithmetic because the block stays
 * in L1/L2, but they do not overlap the memory traffic with the arithmetic. On Java 22+ the core jar
 * is multi-release: {@link dev.tessera.host.DirectOps} kernels ({@code src/main/java22}, loaded by
 * {@link dev.tessera.host.Simd#direct()}) load and store native memory through
 * {@code MemorySegment} with no copies, and stream memory while they compute (exact GELU so far:
 * 2.5× faster than the block copies over 2 M floats).
 */
package dev.tessera.host;
