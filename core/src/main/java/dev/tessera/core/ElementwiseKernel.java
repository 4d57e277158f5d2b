package dev.tessera.core;

import dev.tessera.host.BufferOps;
import dev.tessera.host.DirectOps;
import dev.tessera.host.HostMemory;
import dev.tessera.host.Parallel;
import dev.tessera.host.Scratch;
import dev.tessera.host.Simd;
import dev.tessera.host.SimdOps;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs an element-wise {@link SimdOps} function over whole float32 buffers: split across
 * {@link Parallel}'s threads, each copying blocks of {@link #BLOCK} elements into its
 * {@link Scratch} arrays, applying the function, and copying the result back (see
 * {@code dev.tessera.host} for why blocks of arrays rather than the buffers themselves). Functions
 * with an in-place form ({@link DirectOps}, Java 22+) run that instead where {@link Simd#direct()}
 * offers it: no copies, and the loop streams memory while it computes. Functions with a buffer form
 * ({@link BufferOps}, Java 17–19) store each block's results straight into the output where
 * {@link Simd#buffers()} offers it: the copy in stays, the copy back goes.
 */
final class ElementwiseKernel {
    /** Elements per block: 32 KB per array, so a block's inputs and outputs stay in L1/L2. */
    static final int BLOCK = 8192;

    private ElementwiseKernel() {}

    /** y = f(x). */
    @FunctionalInterface
    interface Map1 {
        void apply(SimdOps ops, float[] x, int xo, int n, float[] y, int yo);
    }

    /** out = f(a, b) (a forward of two inputs, or a backward of one input and its gradient). */
    @FunctionalInterface
    interface Map2 {
        void apply(SimdOps ops, float[] a, int ao, float[] b, int bo, int n, float[] out, int oo);
    }

    /** (out1, out2) = f(a, b, c) (a backward of two inputs; either output may be null). */
    @FunctionalInterface
    interface Map3To2 {
        void apply(SimdOps ops, float[] a, int ao, float[] b, int bo, float[] c, int co, int n,
                float[] out1, int o1, float[] out2, int o2);
    }

    /** y = f(x) in place over native memory, on element range [from, to). */
    @FunctionalInterface
    interface Direct1 {
        void apply(DirectOps ops, long x, long y, long from, long to);
    }

    /** y = f(x) through native-order buffers (float indices). */
    @FunctionalInterface
    interface Buffered1 {
        void apply(BufferOps ops, ByteBuffer x, int xo, int n, ByteBuffer y, int yo);
    }

    /** out = f(a, b) through native-order buffers (float indices). */
    @FunctionalInterface
    interface Buffered2 {
        void apply(BufferOps ops, ByteBuffer a, int ao, ByteBuffer b, int bo, int n, ByteBuffer out, int oo);
    }

    /** out = f(a, b) in place over native memory, on element range [from, to). */
    @FunctionalInterface
    interface Direct2 {
        void apply(DirectOps ops, long a, long b, long out, long from, long to);
    }

    /**
     * y = f(x) over dense float32 arrays: in place where {@code direct} is given and
     * {@link Simd#direct()} applies; else through buffer views where {@code buffered} is given and
     * {@link Simd#buffers()} applies; else by blocks copied into arrays and back.
     */
    static void map(INDArray x, INDArray y, int len, Map1 f, Direct1 direct, Buffered1 buffered) {
        DirectOps d = Simd.direct();
        if (d != null && direct != null) {
            long xa = HostMemory.address(x);
            long ya = HostMemory.address(y);
            forBlocks(len, (from, to) -> direct.apply(d, xa, ya, from, to));
        } else {
            BufferOps b = Simd.buffers();
            if (b != null && buffered != null) {
                forViews(len, (from, count) -> buffered.apply(b, HostMemory.bytes(x, from, count), 0, count,
                        HostMemory.bytes(y, from, count), 0));
            } else {
                map(HostMemory.floats(x), HostMemory.floats(y), len, f);
            }
        }
        Reference.reachabilityFence(x); // the addresses and views are only valid while the arrays are reachable
        Reference.reachabilityFence(y);
    }

    /**
     * out = f(a, b) over dense float32 arrays: in place where {@code direct} is given and applies,
     * else through buffer views where {@code buffered} is given and applies, else by blocks.
     */
    static void map(INDArray a, INDArray b, INDArray out, int len, Map2 f, Direct2 direct, Buffered2 buffered) {
        DirectOps d = Simd.direct();
        if (d != null && direct != null) {
            long aa = HostMemory.address(a);
            long ba = HostMemory.address(b);
            long oa = HostMemory.address(out);
            forBlocks(len, (from, to) -> direct.apply(d, aa, ba, oa, from, to));
        } else {
            BufferOps bo = Simd.buffers();
            if (bo != null && buffered != null) {
                forViews(len, (from, count) -> buffered.apply(bo, HostMemory.bytes(a, from, count), 0,
                        HostMemory.bytes(b, from, count), 0, count, HostMemory.bytes(out, from, count), 0));
            } else {
                map(HostMemory.floats(a), HostMemory.floats(b), HostMemory.floats(out), len, f);
            }
        }
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(out);
    }

    /** Blocks of work per element for the parallel threshold: transcendental functions cost ~20. */
    private static final long COST = 20;

    static void map(FloatBuffer x, FloatBuffer y, int len, Map1 f) {
        SimdOps ops = Simd.ops();
        forBlocks(len, (from, to) -> {
            float[] xs = Scratch.floats(0, BLOCK);
            for (int i = from; i < to; i += BLOCK) {
                int n = Math.min(BLOCK, to - i);
                x.get(i, xs, 0, n);
                f.apply(ops, xs, 0, n, xs, 0);
                y.put(i, xs, 0, n);
            }
        });
    }

    /** Floats per buffer view for {@link #forViews}: whole blocks, under a ByteBuffer's 2 GiB. */
    private static final int VIEW = Integer.MAX_VALUE / Float.BYTES / BLOCK * BLOCK;

    @FunctionalInterface
    private interface ViewRange {
        void run(int from, int count);
    }

    /** Each thread's range of [0, len) in pieces of at most {@link #VIEW} floats (one piece below 2 GiB). */
    private static void forViews(int len, ViewRange body) {
        forBlocks(len, (from, to) -> {
            for (int v = from; v < to; v += VIEW) {
                body.run(v, Math.min(VIEW, to - v));
            }
        });
    }

    static void map(FloatBuffer a, FloatBuffer b, FloatBuffer out, int len, Map2 f) {
        SimdOps ops = Simd.ops();
        forBlocks(len, (from, to) -> {
            float[] as = Scratch.floats(0, BLOCK);
            float[] bs = Scratch.floats(1, BLOCK);
            for (int i = from; i < to; i += BLOCK) {
                int n = Math.min(BLOCK, to - i);
                a.get(i, as, 0, n);
                b.get(i, bs, 0, n);
                f.apply(ops, as, 0, bs, 0, n, bs, 0);
                out.put(i, bs, 0, n);
            }
        });
    }

    static void map(FloatBuffer a, FloatBuffer b, FloatBuffer c, FloatBuffer out1, FloatBuffer out2, int len, Map3To2 f) {
        SimdOps ops = Simd.ops();
        forBlocks(len, (from, to) -> {
            float[] as = Scratch.floats(0, BLOCK);
            float[] bs = Scratch.floats(1, BLOCK);
            float[] cs = Scratch.floats(2, BLOCK);
            float[] o1 = out1 == null ? null : Scratch.floats(3, BLOCK);
            float[] o2 = out2 == null ? null : Scratch.floats(4, BLOCK);
            for (int i = from; i < to; i += BLOCK) {
                int n = Math.min(BLOCK, to - i);
                a.get(i, as, 0, n);
                b.get(i, bs, 0, n);
                c.get(i, cs, 0, n);
                f.apply(ops, as, 0, bs, 0, cs, 0, n, o1, 0, o2, 0);
                if (out1 != null) {
                    out1.put(i, o1, 0, n);
                }
                if (out2 != null) {
                    out2.put(i, o2, 0, n);
                }
            }
        });
    }

    @FunctionalInterface
    private interface Range {
        void run(int from, int to);
    }

    /** Splits [0, len) into per-thread ranges aligned to whole blocks. */
    private static void forBlocks(int len, Range body) {
        int blocks = (len + BLOCK - 1) / BLOCK;
        Parallel.forRows(blocks, COST * BLOCK, (chunk, from, to) -> body.run(from * BLOCK, Math.min(len, to * BLOCK)));
    }
}
