package dev.tessera.core;

import dev.tessera.backend.Backend;
import java.lang.ref.Reference;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bulk copies between ND4J's host buffers and Java arrays, for fused kernels written as plain
 * Java loops. A bulk {@code FloatPointer.get} is a memcpy (well under 1 ns/element), far cheaper
 * than {@code data().asFloat()}'s element-wise conversion (1.45 ns/element, GUIDE §2).
 *
 * <p>Only valid on ND4J's CPU backend, where buffers live in host memory; {@link #available()}
 * says whether the fused kernels may use it, otherwise ops take their portable ND4J path.
 */
public final class HostBuffers {
    private static final boolean AVAILABLE = Backend.binaryLevel() != Backend.BinaryLevel.NOT_CPU
            && !"portable".equalsIgnoreCase(System.getProperty("tessera.kernels"));
    private static volatile boolean forcePortable;

    private HostBuffers() {}

    /** Whether fused Java-loop kernels can run (CPU backend and not forced portable). */
    public static boolean available() {
        return AVAILABLE && !forcePortable;
    }

    /** Forces the portable ND4J paths (tests compare both paths; benchmarks measure both). */
    public static void setForcePortable(boolean portable) {
        forcePortable = portable;
    }

    /** The elements of {@code x} in row-major order (copies views densely first). */
    public static float[] floats(INDArray x) {
        INDArray d = Contiguous.of(x);
        float[] out = new float[Math.toIntExact(d.length())];
        new FloatPointer(d.data().addressPointer()).get(out); // shares the address, owns nothing
        Reference.reachabilityFence(d);
        return out;
    }

    /** The elements of {@code x} in row-major order (copies views densely first). */
    public static double[] doubles(INDArray x) {
        INDArray d = Contiguous.of(x);
        double[] out = new double[Math.toIntExact(d.length())];
        new DoublePointer(d.data().addressPointer()).get(out); // shares the address, owns nothing
        Reference.reachabilityFence(d);
        return out;
    }

    /** A new float32 array of the given shape holding {@code values}. */
    public static INDArray of(float[] values, long... shape) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, shape);
        new FloatPointer(out.data().addressPointer()).put(values);
        return out;
    }

    /** A new float64 array of the given shape holding {@code values}. */
    public static INDArray of(double[] values, long... shape) {
        INDArray out = Nd4j.createUninitialized(DataType.DOUBLE, shape);
        new DoublePointer(out.data().addressPointer()).put(values);
        return out;
    }
}
