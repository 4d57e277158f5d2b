package dev.tessera.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Java 22+ in-place kernels ({@link DirectOps}): present exactly where they should be, and equal,
 * bit for bit, to the array kernels on every size (vector bodies, scalar tails) and at unaligned
 * element offsets. On Java 17 only the first test does anything.
 */
class DirectOpsTest {
    private static final int[] SIZES = {0, 1, 3, 15, 16, 17, 31, 33, 100, 257, 1000, 2500};
    private static final int OFF = 3; // an element offset, so that addresses are not 64-byte aligned

    @Test
    void presentExactlyOnJava22AndLaterWithTheVectorModule() {
        boolean wanted = Simd.vectorized() && Runtime.version().feature() >= 22
                && !"off".equalsIgnoreCase(System.getProperty(Simd.DIRECT_PROPERTY));
        if (wanted) {
            // Maven compiles src/main/java22 whenever it runs on JDK 22+, as the tests do here.
            assertNotNull(Simd.direct(), "a Java 22+ build must load dev.tessera.host.SegmentOps");
        } else {
            assertNull(Simd.direct(), "no in-place kernels on Java " + Runtime.version().feature());
        }
        Simd.setForceScalar(true);
        try {
            assertNull(Simd.direct(), "forcing the scalar kernels turns the in-place ones off too");
        } finally {
            Simd.setForceScalar(false);
        }
    }

    @Test
    void exactGeluEqualsTheArrayKernelsBitForBit() {
        DirectOps direct = Simd.direct();
        assumeTrue(direct != null, "in-place kernels need Java 22+ and the Vector API module");
        SimdOps ops = Simd.ops();
        for (int n : SIZES) {
            float[] x = gaussian(n + OFF, n, 3);
            float[] g = gaussian(n + OFF, n + 1, 1);
            if (n > 0) {
                x[OFF] = 7f; // beyond both clamps
            }
            if (n > 2) {
                x[OFF + 1] = -7f;
                x[OFF + 2] = Float.NaN;
            }
            INDArray xa = Nd4j.create(x);
            INDArray ga = Nd4j.create(g);
            INDArray ya = Nd4j.create(new float[n + OFF]);
            INDArray da = Nd4j.create(new float[n + OFF]);
            long off = (long) OFF * Float.BYTES;
            direct.gelu(HostMemory.address(xa) + off, HostMemory.address(ya) + off, 0, n);
            direct.geluBackward(HostMemory.address(xa) + off, HostMemory.address(ga) + off, HostMemory.address(da) + off, 0, n);
            float[] y = new float[n + OFF];
            float[] d = new float[n + OFF];
            ops.gelu(x, OFF, n, y, OFF);
            ops.geluBackward(x, OFF, g, OFF, n, d, OFF);
            assertArrayEquals(y, ya.toFloatVector(), "gelu n=" + n);
            assertArrayEquals(d, da.toFloatVector(), "gelu' n=" + n);
        }
    }

    @Test
    void aRangeInsideTheArrayTouchesOnlyThatRange() {
        DirectOps direct = Simd.direct();
        assumeTrue(direct != null, "in-place kernels need Java 22+ and the Vector API module");
        float[] x = gaussian(100, 7, 2);
        INDArray xa = Nd4j.create(x);
        INDArray ya = Nd4j.create(new float[100]).addi(42f);
        direct.gelu(HostMemory.address(xa), HostMemory.address(ya), 17, 70);
        float[] y = ya.toFloatVector();
        float[] expected = new float[100];
        java.util.Arrays.fill(expected, 42f);
        Simd.ops().gelu(x, 17, 53, expected, 17);
        assertArrayEquals(expected, y);
    }

    /** The in-place kernels' addresses get the same checks as the block kernels' float views. */
    @Test
    void addressesOnlyOfDenseLiveFloatArrays() {
        INDArray doubles = Nd4j.create(new double[] {1, 2, 3});
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class, () -> HostMemory.address(doubles));
        assertTrue(dtype.getMessage().contains("host address needs a FLOAT array, got DOUBLE"), dtype.getMessage());
        INDArray view = Nd4j.create(new float[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3}, 'c').transpose();
        IllegalArgumentException layout = assertThrows(IllegalArgumentException.class, () -> HostMemory.address(view));
        assertTrue(layout.getMessage().contains("dense row-major"), layout.getMessage());
        boolean pooling = HostMemory.pooling();
        HostMemory.setPooling(true);
        try {
            INDArray pooled = HostMemory.newFloats(4);
            HostMemory.address(pooled); // fine while live
            assertTrue(HostMemory.release(pooled));
            IllegalStateException released = assertThrows(IllegalStateException.class, () -> HostMemory.address(pooled));
            assertTrue(released.getMessage().contains("released"), released.getMessage());
        } finally {
            HostMemory.setPooling(pooling);
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
