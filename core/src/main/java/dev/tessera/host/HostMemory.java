package dev.tessera.host;

import dev.tessera.backend.Backend;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
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

    /**
     * {@code x} itself when dense, else a dense row-major copy ({@link #copy}: from the pool where it
     * is on for this thread).
     */
    public static INDArray dense(INDArray x) {
        return isDense(x) ? x : copy(x);
    }

    /**
     * A dense row-major copy of {@code x} (any strides, any dtype). Where the pool is on for this
     * thread ({@link #pooling()}) a float32 copy takes its memory from the pool, so a copy that is
     * released ({@link #release}) leaves warm memory for the next one instead of garbage.
     */
    public static INDArray copy(INDArray x) {
        if (x.isEmpty() || x.dataType() != DataType.FLOAT || !pooling()) {
            return x.dup('c');
        }
        INDArray out = newFloats(x.shape());
        if (isDense(x)) {
            copyFloats(x, out);
        } else {
            out.assign(x);
        }
        return out;
    }

    /** Floats per chunk of a parallel copy (1 MB): a memcpy call costs microseconds below that. */
    private static final int COPY_CHUNK = 1 << 18;

    /**
     * Copies dense float32 {@code src} into {@code dst} (same length) with memcpy, split across
     * {@link Parallel}'s threads in 1 MB chunks. One thread's memcpy does not reach the memory
     * bandwidth that two do: 8 MB took 0.24 ms on one Zen 5 core and 0.13 on two, where ND4J's
     * {@code assign} took 0.25.
     */
    static void copyFloats(INDArray src, INDArray dst) {
        long n = src.length();
        Pointer from = src.data().addressPointer();
        Pointer to = dst.data().addressPointer();
        int chunks = (int) ((n + COPY_CHUNK - 1) / COPY_CHUNK);
        Parallel.forRows(chunks, COPY_CHUNK, (chunk, first, end) -> {
            long start = (long) first * COPY_CHUNK;
            long stop = Math.min(n, (long) end * COPY_CHUNK);
            Pointer.memcpy(new BytePointer(to).position(start * Float.BYTES),
                    new BytePointer(from).position(start * Float.BYTES), (stop - start) * Float.BYTES);
        });
        Reference.reachabilityFence(src);
        Reference.reachabilityFence(dst);
    }

    /**
     * A new dense array of zeros: float32 from the pool where it is on for this thread (zeroed with
     * one memset of warm memory), otherwise ND4J's {@code zeros}.
     */
    public static INDArray zeros(DataType dtype, long... shape) {
        if (dtype != DataType.FLOAT || !pooling()) {
            return Nd4j.zeros(dtype, shape);
        }
        INDArray out = newFloats(shape);
        if (out.length() > 0) {
            Pointer.memset(out.data().addressPointer(), 0, out.length() * Float.BYTES);
        }
        return out;
    }

    /**
     * A float view over a dense float32 array's native memory (absolute get/put only, so threads can
     * share it). Bulk {@code get(index, float[], off, len)} and {@code put} on it are memcpys.
     *
     * @throws IllegalArgumentException if {@code x} is not dense float32 or has 2^31 elements or more
     */
    public static FloatBuffer floats(INDArray x) {
        checkDenseLiveFloats("host float view", x);
        int n = Math.toIntExact(x.length());
        Pointer p = x.data().addressPointer();
        return new FloatPointer(p).capacity(n).asByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * A native-order byte view of floats [from, from + count) of a dense float32 array's native
     * memory, for kernels that load and store vectors in place ({@code SimdOps.normRows}); the same
     * checks as {@link #floats}. The caller keeps {@code x} reachable while it uses the view.
     *
     * @throws IllegalArgumentException if {@code x} is not dense float32, the range is not inside it,
     *     or the view would be 2 GiB or more (a {@code ByteBuffer}'s limit)
     */
    public static ByteBuffer bytes(INDArray x, long from, long count) {
        checkDenseLiveFloats("host byte view", x);
        if (from < 0 || count < 0 || from + count > x.length()) {
            throw new IllegalArgumentException("host byte view: range [" + from + ", " + (from + count)
                    + ") is not inside the array's " + x.length() + " elements");
        }
        if (count > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("host byte view: count must be at most "
                    + Integer.MAX_VALUE / Float.BYTES + " floats (2 GiB), got " + count);
        }
        if (count == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.nativeOrder()); // JavaCPP maps an empty range to one element
        }
        Pointer p = new FloatPointer(x.data().addressPointer()).position(from).capacity(from + count);
        // JavaCPP's buffer spans [0, from + count) with its position at `from`; the slice starts at
        // `from`, so that absolute indices count from there (and takes the big-endian default again)
        return p.asByteBuffer().slice().order(ByteOrder.nativeOrder());
    }

    /**
     * The native address of a dense float32 array's first element, for kernels that work in place
     * ({@link DirectOps}); the same checks as {@link #floats}. The caller keeps {@code x} reachable
     * until the kernel returns (the address does not).
     *
     * @throws IllegalArgumentException if {@code x} is not dense float32
     */
    public static long address(INDArray x) {
        checkDenseLiveFloats("host address", x);
        return x.data().addressPointer().address();
    }

    /** What {@link #floats} and {@link #address} require of {@code x}: dense float32, not released. */
    private static void checkDenseLiveFloats(String what, INDArray x) {
        if (x.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException(what + " needs a FLOAT array, got " + x.dataType());
        }
        if (!isDense(x)) {
            throw new IllegalArgumentException(what + " needs a dense row-major array, got shape "
                    + Arrays.toString(x.shape()) + " order " + x.ordering() + " offset " + x.offset());
        }
        if (isReleased(x)) {
            throw new IllegalStateException(what + " of an array whose memory was released (shape "
                    + Arrays.toString(x.shape()) + "); it must not be used after HostMemory.release");
        }
    }

    /**
     * The elements of {@code x} in row-major order as a new array (any numeric dtype, converted; views
     * copied densely first). A memcpy on the CPU backend, ND4J's own conversion elsewhere.
     */
    public static float[] toFloatArray(INDArray x) {
        return toFloatArray(x, new float[Math.toIntExact(x.length())]);
    }

    /**
     * {@link #toFloatArray} into {@code into} (its first {@code x.length()} elements; the rest is left
     * as it was), for callers that reuse an array instead of allocating one per call.
     *
     * @return {@code into}
     * @throws IllegalArgumentException if {@code into} is shorter than {@code x}
     */
    public static float[] toFloatArray(INDArray x, float[] into) {
        if (into.length < x.length()) {
            throw new IllegalArgumentException("toFloatArray: into must hold at least " + x.length()
                    + " floats, got " + into.length);
        }
        INDArray d = dense(x.dataType() == DataType.FLOAT ? x : x.castTo(DataType.FLOAT));
        if (!AVAILABLE) {
            float[] all = d.data().asFloat();
            System.arraycopy(all, 0, into, 0, all.length);
            return into;
        }
        new FloatPointer(d.data().addressPointer()).get(into, 0, Math.toIntExact(d.length())); // shares the address, owns nothing
        Reference.reachabilityFence(d);
        return into;
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

    /**
     * A new uninitialised dense float32 array (kernels overwrite every element). Where the pool is on
     * for this thread ({@link #pooling()}), its memory comes from Tessera's pool of native blocks (see
     * {@link #release}): warm pages of an earlier array of the same size where one was released, so
     * the first touch costs no page faults.
     * Inside an open ND4J workspace (the step workspace) the workspace's memory is used instead.
     */
    public static INDArray newFloats(long... shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("newFloats: shape " + Arrays.toString(shape) + " has a negative size");
            }
            n = Math.multiplyExact(n, d);
        }
        if (!pooling() || n == 0 || Nd4j.getMemoryManager().getCurrentWorkspace() != null) {
            return Nd4j.createUninitialized(DataType.FLOAT, shape);
        }
        NativePool.Block block = NativePool.take(n * Float.BYTES);
        FloatPointer p = new FloatPointer(new Pointer() {
            {
                address = block.address;
            }
        });
        p.capacity(n);
        DataBuffer buffer = Nd4j.createBuffer(p, DataType.FLOAT, n, FloatIndexer.create(p));
        NativePool.attach(block, buffer);
        return Nd4j.create(buffer, shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
    }

    /**
     * A new uninitialised dense array of {@code dtype}: float32 from the pool as {@link #newFloats},
     * other types from ND4J. For kernel outputs that every element of is written.
     */
    public static INDArray newUninitialized(DataType dtype, long... shape) {
        return dtype == DataType.FLOAT ? newFloats(shape) : Nd4j.createUninitialized(dtype, shape);
    }

    /**
     * Frees {@code x}'s native memory now instead of when the garbage collector finds it, if it is a
     * block of Tessera's pool: it goes back to the pool, its pages warm for the next array of that
     * size (memory ND4J allocated is left to the collector, see below). It acts on the buffer {@code x} is over, which every view of
     * it shares, so the caller guarantees that no array over that buffer is used afterwards; using
     * one then throws an {@link IllegalStateException} (ND4J's "released" check), not a crash.
     * Does nothing, and returns false, where {@code x}'s memory is ND4J's, {@code x} does not span
     * its whole buffer (a slice), lives in a workspace, or was released already.
     *
     * @return whether memory was released
     */
    public static boolean release(INDArray x) {
        if (x == null || x.isEmpty() || !AVAILABLE) {
            return false;
        }
        DataBuffer root = rootBuffer(x);
        if (x.wasClosed() || x.offset() != 0 || x.length() != root.length()) {
            return false;
        }
        return releaseBuffer(root);
    }

    /**
     * {@link #release} for a root buffer ({@link #rootBuffer}): frees it whole, with the same
     * guarantee asked of the caller and the same cases where it does nothing.
     *
     * @return whether memory was released
     */
    public static boolean releaseBuffer(DataBuffer root) {
        if (!AVAILABLE || root.wasClosed() || root.isAttached() || root.isConstant() || root.length() == 0) {
            return false;
        }
        long address = root.address();
        if (!NativePool.owns(address)) {
            // ND4J's own memory is left to the collector: closing it frees the block at once, but the
            // small native record ND4J keeps per buffer until collection then splits the freed block
            // and the next array of that size gets fresh pages (seen with strace and RSS: +8 MB per
            // create/close of 8 MB). The GPT step with plain backward() and its ND4J gradients closed
            // this way peaked at 3.3 GB RSS under heavy load; closing them is not worth the risk.
            return false;
        }
        root.close(); // marks it released for ND4J; the memory is the pool's, ND4J does not free it
        return NativePool.release(address);
    }

    /** Whether {@code x}'s memory was released ({@link #release}) or closed. */
    public static boolean isReleased(INDArray x) {
        return x.wasClosed() || rootBuffer(x).wasClosed();
    }

    /**
     * The buffer that owns {@code x}'s memory: a view's buffer refers to the buffer it was cut
     * from. Arrays over the same memory have the same root buffer.
     */
    public static DataBuffer rootBuffer(INDArray x) {
        DataBuffer b = x.data();
        DataBuffer u = b.underlyingDataBuffer();
        while (u != null && u != b) {
            b = u;
            u = b.underlyingDataBuffer();
        }
        return b;
    }

    /** {@code -Dtessera.pool=true}: every thread takes kernel outputs from the pool. */
    private static final boolean POOL_ALL = "true".equalsIgnoreCase(System.getProperty("tessera.pool"));
    private static final ThreadLocal<boolean[]> POOLING = ThreadLocal.withInitial(() -> new boolean[] {POOL_ALL});

    /**
     * Whether {@link #newFloats} takes memory from the pool on this thread. Off by default: the
     * pool pays off only for code that releases what it no longer needs ({@code backwardAndFree},
     * {@code freeGrad}, {@link #release}); memory left to the collector comes back later than ND4J's
     * own (measured under heavy load: the GPT step with plain {@code backward()} peaked at 2.15 GB
     * RSS from the pool; 1.27 GB from ND4J, measured earlier). {@code Trainer} turns it on for its
     * steps, which free their memory.
     */
    public static boolean pooling() {
        return AVAILABLE && POOLING.get()[0];
    }

    /**
     * Turns the pool on or off for arrays this thread creates from now on ({@code -Dtessera.pool=true}
     * turns it on for every thread).
     *
     * @return whether it was on before, to restore
     */
    public static boolean setPooling(boolean on) {
        boolean[] flag = POOLING.get();
        boolean before = flag[0];
        flag[0] = on;
        return before;
    }

    /** Bytes of pool blocks in use (handed out and not yet released or collected). */
    public static long pooledBytesInUse() {
        return NativePool.inUseBytes();
    }

    /** Bytes of idle pool blocks, kept warm for reuse. */
    public static long pooledBytesIdle() {
        return NativePool.idleBytes();
    }

    /** How many pool requests were served from an idle (warm) block, and how many needed malloc. */
    public static long[] poolCounts() {
        return new long[] {NativePool.reusedCount(), NativePool.allocatedCount()};
    }

    /**
     * Caps the idle bytes the pool keeps (default 1 GiB, {@code -Dtessera.pool.maxIdleBytes});
     * frees every idle block now.
     */
    public static void setPoolMaxIdleBytes(long bytes) {
        NativePool.setMaxIdleBytes(bytes);
    }

    /** Frees every idle pool block (e.g. after training). */
    public static void trimPool() {
        NativePool.trim();
    }

    /** The most bytes of pool blocks that were ever in use at once (the pool's high-water mark). */
    public static long pooledBytesInUsePeak() {
        return NativePool.inUsePeakBytes();
    }
}
