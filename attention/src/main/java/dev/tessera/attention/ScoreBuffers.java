package dev.tessera.attention;

import dev.tessera.host.HostMemory;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Native buffers for {@link FusedAttention}'s internal (B·Hkv, g·Tq, Tk) score, probability and
 * score-gradient matrices, handed out again after the op is done with them instead of being freshly
 * allocated at every call.
 *
 * <p>Why: one such matrix is B·H·T² floats (8 MB for (4, 8, 256, 64)), and on the project's VM a
 * fresh ND4J native allocation of that size costs milliseconds (malloc of new pages, a page fault
 * of several microseconds per 4 KB page on first touch, deallocator registration), as much as
 * the attention's GEMMs themselves; ND4J only frees such arrays when the collector finds them, so
 * every call got new pages. PyTorch's allocator hands freed memory out again; this does the same
 * for the matrices that never leave the op. Outputs and gradients, which callers own, are not
 * pooled.
 *
 * <p>Rules: a buffer is {@link #borrow borrowed} by the op and {@link #release released} once
 * nothing reads it any more (a forward without a recorded graph releases before returning; with
 * a graph, the backward releases after its last read). A buffer that is never released (a graph
 * dropped without backward) is freed by the collector like any array, so forgetting one only
 * costs a fresh allocation later. Buffers are created outside any ND4J workspace, so that a
 * step's reused memory never hands them out twice. Thread-safe.
 *
 * <p>Where Tessera's pool is on for the thread ({@link HostMemory#pooling()}, as in a training
 * step), a float32 buffer is a pool block: released, it goes back to the pool, where the next
 * score matrix or any other array of that size (an MLP activation of B·T·4C floats is as large as
 * a B·H·T² score matrix in the benchmark GPT) takes it warm, so score buffers and activations
 * share memory instead of each keeping their own, and the pool's bound on idle memory covers both.
 * Otherwise the buffer is an ND4J array kept on this class's own free list: at most
 * {@link #MAX_FREE_BYTES} of free buffers; beyond that a released buffer is closed at once.
 */
final class ScoreBuffers {
    /** Free memory kept for reuse, all sizes together. */
    static final long MAX_FREE_BYTES = 256L << 20;

    /** Free flat buffers by (dtype, length). */
    private static final Map<Key, ArrayDeque<INDArray>> FREE = new HashMap<>();
    private static long freeBytes;
    /** Bytes of buffers borrowed and not given back (a lease dropped without release stays counted). */
    private static long borrowedBytes;

    private record Key(DataType type, long length) {}

    /** A borrowed buffer: {@code array} has the shape asked for and views {@code flat}'s memory. */
    record Lease(INDArray flat, INDArray array) {}

    private ScoreBuffers() {}

    /** A dense C-order array of the given type and shape with undefined contents, to be released later. */
    static Lease borrow(DataType type, long... shape) {
        long length = 1;
        for (long s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("ScoreBuffers.borrow: negative size in shape " + Arrays.toString(shape));
            }
            length = Math.multiplyExact(length, s);
        }
        if (length == 0) {
            INDArray empty = Nd4j.createUninitialized(type, shape);
            return new Lease(empty, empty);
        }
        INDArray flat = type == DataType.FLOAT && HostMemory.pooling() ? null : take(new Key(type, length));
        if (flat == null) {
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                flat = HostMemory.newUninitialized(type, length); // (length): a pool block where pooling is on
            }
        }
        synchronized (FREE) {
            borrowedBytes += length * flat.data().getElementSize();
        }
        INDArray shaped = flat.reshape('c', shape); // a view of the same memory: flat is dense C-order
        return new Lease(flat, shaped);
    }

    /** Gives a buffer back; the caller must not touch {@code lease.array()} afterwards. Null is ignored. */
    static void release(Lease lease) {
        if (lease == null) {
            return;
        }
        INDArray flat = lease.flat();
        if (flat.length() == 0) {
            return;
        }
        long bytes = flat.length() * flat.data().getElementSize();
        synchronized (FREE) {
            borrowedBytes -= bytes;
        }
        if (HostMemory.release(flat)) {
            return; // a pool block: back in the pool, warm for the next array of its size
        }
        synchronized (FREE) {
            if (freeBytes + bytes <= MAX_FREE_BYTES) {
                FREE.computeIfAbsent(new Key(flat.dataType(), flat.length()), k -> new ArrayDeque<>()).push(flat);
                freeBytes += bytes;
                return;
            }
        }
        flat.close();
    }

    /** Bytes currently kept free for reuse (tests). */
    static long freeBytes() {
        synchronized (FREE) {
            return freeBytes;
        }
    }

    /** Bytes of buffers borrowed and not yet released. */
    static long borrowedBytes() {
        synchronized (FREE) {
            return borrowedBytes;
        }
    }

    /** Closes every free buffer (tests; callers that want the memory back). */
    static void clear() {
        synchronized (FREE) {
            for (ArrayDeque<INDArray> q : FREE.values()) {
                for (INDArray a : q) {
                    a.close();
                }
            }
            FREE.clear();
            freeBytes = 0;
        }
    }

    private static INDArray take(Key key) {
        synchronized (FREE) {
            ArrayDeque<INDArray> q = FREE.get(key);
            if (q == null || q.isEmpty()) {
                return null;
            }
            INDArray a = q.pop();
            freeBytes -= a.length() * a.data().getElementSize();
            return a;
        }
    }
}
