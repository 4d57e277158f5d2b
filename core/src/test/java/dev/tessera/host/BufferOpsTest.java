package dev.tessera.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Java 17–19 kernels that store through {@code ByteBuffer}s ({@link BufferOps}): present exactly
 * where they should be, and equal, bit for bit, to the array kernels on every size (vector bodies,
 * scalar tails), at unaligned element offsets of their inputs and outputs, and in place. On Java 20+ only the first test does
 * anything.
 */
class BufferOpsTest {
    private static final int[] SIZES = {0, 1, 3, 15, 16, 17, 31, 33, 100, 257, 1000, 2500};
    private static final int OFF = 3; // an element offset of the output view

    @Test
    void presentExactlyWhereTheVectorApiStoresIntoBuffersAndNothingIsInPlace() {
        boolean stores;
        try {
            Class.forName("jdk.incubator.vector.FloatVector").getMethod("intoByteBuffer", java.nio.ByteBuffer.class,
                    int.class, java.nio.ByteOrder.class);
            stores = true;
        } catch (ReflectiveOperationException e) {
            stores = false;
        }
        boolean wanted = Simd.vectorized() && stores && Simd.direct() == null
                && !"off".equalsIgnoreCase(System.getProperty(Simd.BUFFERS_PROPERTY));
        assertEquals(wanted, Simd.buffers() != null, "buffer kernels on Java " + Runtime.version().feature());
        if (Simd.vectorized() && Runtime.version().feature() < 20 && System.getProperty(Simd.BUFFERS_PROPERTY) == null) {
            assertEquals(true, wanted, "Java 17-19's Vector API stores into ByteBuffers");
        }
        Simd.setForceScalar(true);
        try {
            assertNull(Simd.buffers(), "forcing the scalar kernels turns the buffer ones off too");
        } finally {
            Simd.setForceScalar(false);
        }
    }

    @Test
    void exactGeluEqualsTheArrayKernelBitForBit() {
        BufferOps buffers = Simd.buffers();
        assumeTrue(buffers != null, "buffer kernels need Java 17-19 and the Vector API module");
        SimdOps ops = Simd.ops();
        for (int n : SIZES) {
            float[] x = geluInput(n);
            float[] y = new float[n + OFF];
            ops.gelu(x, OFF, n, y, OFF);
            // x at element OFF of its view, y at OFF + 2 of another: neither vector-aligned, not the same
            INDArray xa = Nd4j.create(x);
            INDArray ya = Nd4j.create(new float[n + OFF + 2]);
            buffers.gelu(HostMemory.bytes(xa, 0, n + OFF), OFF, n, HostMemory.bytes(ya, 0, n + OFF + 2), OFF + 2);
            assertArrayEquals(y, Arrays.copyOfRange(ya.toFloatVector(), 2, n + OFF + 2), "gelu n=" + n);
            // in place: the same view at the same index
            buffers.gelu(HostMemory.bytes(xa, 0, n + OFF), OFF, n, HostMemory.bytes(xa, 0, n + OFF), OFF);
            assertArrayEquals(Arrays.copyOfRange(y, OFF, n + OFF), Arrays.copyOfRange(xa.toFloatVector(), OFF, n + OFF),
                    "gelu in place n=" + n);
        }
    }

    @Test
    void exactGeluBackwardEqualsTheArrayKernelBitForBit() {
        BufferOps buffers = Simd.buffers();
        assumeTrue(buffers != null, "buffer kernels need Java 17-19 and the Vector API module");
        SimdOps ops = Simd.ops();
        for (int n : SIZES) {
            float[] x = geluInput(n);
            float[] g = gaussian(n + 1, n + 7, 1); // g from element 1
            float[] dx = new float[n + OFF];
            ops.geluBackward(x, OFF, g, 1, n, dx, OFF);
            INDArray xa = Nd4j.create(x);
            INDArray ga = Nd4j.create(g);
            INDArray dxa = Nd4j.create(new float[n + 2]);
            buffers.geluBackward(HostMemory.bytes(xa, 0, n + OFF), OFF, HostMemory.bytes(ga, 0, n + 1), 1, n,
                    HostMemory.bytes(dxa, 0, n + 2), 2);
            assertArrayEquals(Arrays.copyOfRange(dx, OFF, n + OFF), Arrays.copyOfRange(dxa.toFloatVector(), 2, n + 2),
                    "geluBackward n=" + n);
            // in place over g (the autograd never does this, the kernel allows it)
            buffers.geluBackward(HostMemory.bytes(xa, 0, n + OFF), OFF, HostMemory.bytes(ga, 0, n + 1), 1, n,
                    HostMemory.bytes(ga, 0, n + 1), 1);
            assertArrayEquals(Arrays.copyOfRange(dx, OFF, n + OFF), Arrays.copyOfRange(ga.toFloatVector(), 1, n + 1),
                    "geluBackward in place n=" + n);
        }
    }

    /** n Gaussian values from element OFF, with values beyond both clamps and a NaN where n allows. */
    private static float[] geluInput(int n) {
        float[] x = gaussian(n + OFF, n, 3);
        if (n > 2) {
            x[OFF] = 7f; // beyond the clamps
            x[OFF + 1] = -7f;
            x[OFF + 2] = Float.NaN;
        }
        return x;
    }

    @Test
    void normRowsEqualTheArrayKernelBitForBit() {
        BufferOps buffers = Simd.buffers();
        assumeTrue(buffers != null, "buffer kernels need Java 17-19 and the Vector API module");
        SimdOps ops = Simd.ops();
        float eps = 1e-5f;
        for (int c : new int[] {1, 3, 15, 16, 17, 33, 100, 768, 1000}) {
            for (int rows : new int[] {1, 2, 5}) {
                float[] x = gaussian(rows * c + OFF, c + rows, 2);
                float[] w = gaussian(c, c + 1, 1);
                float[] b = gaussian(c, c + 2, 1);
                for (boolean rms : new boolean[] {false, true}) {
                    for (int affine = 0; affine < 3; affine++) { // w and b, w only, neither
                        float[] wk = affine < 2 ? w : null;
                        float[] bk = affine == 0 ? b : null;
                        float[] y = new float[rows * c + OFF];
                        float[] mean = rms ? null : new float[rows + 1];
                        float[] rstd = new float[rows + 1];
                        ops.normRows(x, OFF, rows, c, wk, bk, eps, rms, y, OFF, mean, rstd, 1);
                        INDArray ya = Nd4j.create(new float[rows * c + OFF]);
                        float[] meanB = rms ? null : new float[rows + 1];
                        float[] rstdB = new float[rows + 1];
                        buffers.normRows(x, OFF, rows, c, wk, bk, eps, rms, HostMemory.bytes(ya, 0, rows * c + OFF), OFF,
                                meanB, rstdB, 1);
                        String what = (rms ? "rms" : "layer") + " c=" + c + " rows=" + rows + " affine=" + affine;
                        assertArrayEquals(y, ya.toFloatVector(), what);
                        assertArrayEquals(rstd, rstdB, what + " rstd");
                        if (!rms) {
                            assertArrayEquals(mean, meanB, what + " mean");
                        }
                    }
                }
            }
        }
    }

    private static float[] gaussian(int n, long seed, double scale) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }
}
