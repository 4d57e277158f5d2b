package dev.tessera.host;

import dev.tessera.backend.Backend;
import java.lang.ref.Reference;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Access to the native host memory behind ND4J arrays, for kernels written in Java.
 *
 * <p>Only valid on ND4J's CPU backend, where buffers live in host memory. {@link #available()} says
 * whether host kernels may run; callers take their portable ND4J path otherwise. A buffer obtained
 * here does not keep its array alive: callers keep the {@code INDArray} reachable (a local variable
 * used after the loop, or {@link Reference#reachabilityFence}) while they use it.
 */
public final class HostMemory {
    private static final boolean AVAILABLE = Backend.binaryLevel() != Backend.BinaryLevel.NOT_CPU
            && !"portable".equalsIgnoreCase(System.getProperty("tessera.kernels"));
    private static volatile boolean forcePortable;

    private HostMemory() {}

    /** Whether host (Java-loop, SIMD) kernels can run: CPU backend and not forced portable. */
    public static boolean available() {
        return AVAILABLE && !forcePortable;
    }

    /** Forces the portable ND4J paths (tests compare both paths; benchmarks measure both). */
    public static void setForcePortable(boolean portable) {
        forcePortable = portable;
    }

    /** Whether {@code x}'s buffer holds exactly its elements in row-major order from offset 0. */
    public static boolean isDense(INDArray x) {
        // The strides decide, not ND4J's isView(): a permuted array is not flagged as a view, and a
        // reshaped dense array is flagged as one although its buffer holds it in row-major order.
        return x.offset() == 0 && rowMajorStrides(x) && x.data().length() == x.length();
    }

    /**
     * Whether the strides are row-major for every dimension of size above 1 (ND4J's own
     * {@code Shape.hasDefaultStridesForShape} says no for a (1, 1) array with strides [1, 1]).
     */
    private static boolean rowMajorStrides(INDArray x) {
        long[] shape = x.shape();
        long[] stride = x.stride();
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /** {@code x} itself when dense, else a dense row-major copy. */
    public static INDArray dense(INDArray x) {
        return isDense(x) ? x : x.dup('c');
    }

    /**
     * A float view over a dense float32 array's native memory (absolute get/put only, so threads can
     * share it). Bulk {@code get(index, float[], off, len)} and {@code put} on it are memcpys.
     *
     * @throws IllegalArgumentException if {@code x} is not dense float32 or has 2^31 elements or more
     */
    public static FloatBuffer floats(INDArray x) {
        if (x.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("host float view needs a FLOAT array, got " + x.dataType());
        }
        if (!isDense(x)) {
            throw new IllegalArgumentException("host float view needs a dense row-major array, got shape "
                    + Arrays.toString(x.shape()) + " order " + x.ordering() + " offset " + x.offset());
        }
        int n = Math.toIntExact(x.length());
        Pointer p = x.data().addressPointer();
        return new FloatPointer(p).capacity(n).asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * The elements of {@code x} in row-major order as a new array (any numeric dtype, converted; views
     * copied densely first). A memcpy on the CPU backend, ND4J's own conversion elsewhere.
     */
    public static float[] toFloatArray(INDArray x) {
        INDArray d = dense(x.dataType() == DataType.FLOAT ? x : x.castTo(DataType.FLOAT));
        if (!AVAILABLE) {
            return d.data().asFloat();
        }
        float[] out = new float[Math.toIntExact(d.length())];
        new FloatPointer(d.data().addressPointer()).get(out); // shares the address, owns nothing
        Reference.reachabilityFence(d);
        return out;
    }

    /** As {@link #toFloatArray}, in float64: the one way Tessera reads small arrays into Java (losses, PPO math). */
    public static double[] toDoubleArray(INDArray x) {
        INDArray d = dense(x.dataType() == DataType.DOUBLE ? x : x.castTo(DataType.DOUBLE));
        if (!AVAILABLE) {
            return d.data().asDouble();
        }
        double[] out = new double[Math.toIntExact(d.length())];
        new DoublePointer(d.data().addressPointer()).get(out);
        Reference.reachabilityFence(d);
        return out;
    }

    /** A new float32 array of the given shape holding {@code values}. */
    public static INDArray fromArray(float[] values, long... shape) {
        if (!AVAILABLE) {
            return Nd4j.create(values, shape, 'c');
        }
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, shape);
        new FloatPointer(out.data().addressPointer()).put(values);
        return out;
    }

    /** A new float64 array of the given shape holding {@code values}. */
    public static INDArray fromArray(double[] values, long... shape) {
        if (!AVAILABLE) {
            return Nd4j.create(values, shape, 'c');
        }
        INDArray out = Nd4j.createUninitialized(DataType.DOUBLE, shape);
        new DoublePointer(out.data().addressPointer()).put(values);
        return out;
    }

    /** A new uninitialised dense float32 array (kernels overwrite every element). */
    public static INDArray newFloats(long... shape) {
        return Nd4j.createUninitialized(DataType.FLOAT, shape);
    }
}
