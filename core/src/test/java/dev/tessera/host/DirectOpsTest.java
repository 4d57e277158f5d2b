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
    void swigluEqualsTheArrayKernelBitForBit() {
        DirectOps direct = Simd.direct();
        assumeTrue(direct != null, "in-place kernels need Java 22+ and the Vector API module");
        SimdOps ops = Simd.ops();
        for (int n : SIZES) {
            float[] gate = gaussian(n + OFF, n + 5, 4);
            float[] up = gaussian(n + OFF, n + 6, 1);
            if (n > 3) {
                gate[OFF] = 100f; // exp(−v) below its range: σ = 1
                gate[OFF + 1] = -100f; // above it: σ = 0
                gate[OFF + 2] = Float.NaN;
                gate[OFF + 3] = Float.NEGATIVE_INFINITY;
            }
            INDArray ga = Nd4j.create(gate);
            INDArray ua = Nd4j.create(up);
            INDArray ya = Nd4j.create(new float[n + OFF]);
            long off = (long) OFF * Float.BYTES;
            direct.swiglu(HostMemory.address(ga) + off, HostMemory.address(ua) + off, HostMemory.address(ya) + off, 0, n);
            float[] y = new float[n + OFF];
            ops.swiglu(gate, OFF, up, OFF, n, y, OFF);
            assertArrayEquals(y, ya.toFloatVector(), "swiglu n=" + n);
        }
    }

    /** Layer and RMS norm rows against the array kernel (an odd row count: pairs and a single row), bit for bit. */
    @Test
    void normRowsEqualTheArrayKernelsBitForBit() {
        DirectOps direct = Simd.direct();
        assumeTrue(direct != null, "in-place kernels need Java 22+ and the Vector API module");
        SimdOps ops = Simd.ops();
        int rows = 5;
        float eps = 1e-5f;
        for (int c : new int[] {1, 3, 15, 16, 17, 33, 100, 768, 1000}) {
            float[] x = gaussian(rows * c + OFF, c, 2);
            for (int i = OFF; i < x.length; i++) {
                x[i] += 3f; // a mean far from 0, so that the mean matters
            }
            float[] w = gaussian(c, c + 1, 1);
            float[] b = gaussian(c, c + 2, 1);
            INDArray xa = Nd4j.create(x);
            long off = (long) OFF * Float.BYTES;
            for (boolean rms : new boolean[] {false, true}) {
                for (int affine = 0; affine < 3; affine++) { // w and b, w only, neither
                    float[] wk = affine < 2 ? w : null;
                    float[] bk = affine == 0 ? b : null;
                    INDArray ya = Nd4j.create(new float[rows * c + OFF]);
                    float[] mean = rms ? null : new float[rows];
                    float[] rstd = new float[rows];
                    direct.normRows(HostMemory.address(xa) + off, HostMemory.address(ya) + off, c, wk, bk, eps, rms,
                            mean, rstd, 0, rows);
                    float[] y = new float[rows * c + OFF];
                    float[] meanRef = rms ? null : new float[rows];
                    float[] rstdRef = new float[rows];
                    ops.normRows(x, OFF, rows, c, wk, bk, eps, rms, y, OFF, meanRef, rstdRef, 0);
                    String what = (rms ? "rmsNorm" : "layerNorm") + " c=" + c + " affine=" + affine;
                    assertArrayEquals(y, ya.toFloatVector(), what);
                    assertArrayEquals(rstdRef, rstd, what + " rstd");
                    if (!rms) {
                        assertArrayEquals(meanRef, mean, what + " mean");
                    }
                }
            }
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
