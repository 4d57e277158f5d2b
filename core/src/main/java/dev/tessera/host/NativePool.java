package dev.tessera.host;

import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A size-keyed pool of native memory blocks behind the arrays Tessera's kernels create: a block
 * that is released goes back to a free list for its size and is handed out again, with its pages
 * still mapped and warm, to a later request of that size.
 *
 * <p>Why: fresh native memory is expensive on the first touch (a page fault per 4 KB page; about
 * 8 µs each in the VM this was written on, so 15 ms per 8 MB), and an array's memory normally
 * goes back only when the garbage collector finds the array. The pool makes the memory of a
 * released array warm for the next array of the same size, as PyTorch's caching of freed tensors
 * in glibc's heap does. ND4J's own allocations cannot be reused this way: closing an ND4J array
 * frees its memory, but ND4J keeps a small native record per buffer until the collector runs, and
 * those records, placed in the freed block, split it, so glibc serves the next request of the same
 * size from fresh pages (observed with strace and RSS: +8 MB per create/close of 8 MB).
 *
 * <p>Release is explicit ({@link #release}) or, for an array nobody released, done by a
 * {@link Cleaner} once its buffer is unreachable, so no block is ever lost. Either way the block
 * is kept idle for reuse within the bounds below: an array an op did not release (the GPT step's
 * attention left its dense q, k, v copies to the collector, twelve 2 MB blocks a step) then costs
 * the wait for a collection, not fresh pages at the next step; and since a malloc frees idle
 * blocks beyond the bound, a program that leaves everything to the collector does not pile them
 * up either.
 *
 * <p>Policy, in the order a request meets it:
 * <ol>
 *   <li>An idle block of exactly the rounded size, the one released last (its pages are the
 *       warmest).
 *   <li>Otherwise the smallest idle block at most {@link #FIT_SLACK_DIVISOR 1/8} larger: sizes
 *       that differ slightly (a sequence one token longer) share blocks instead of each keeping
 *       its own.
 *   <li>Otherwise a new block from malloc. Before it, idle blocks are freed, those idle longest
 *       first, until the pool's footprint (bytes in use plus idle, the new block counted) is within
 *       its in-use high-water mark plus {@code headroom} (default the mark itself,
 *       {@code -Dtessera.pool.headroom}). So idle memory never raises the process's peak by more
 *       than the headroom: a program whose arrays change sizes (training then evaluation,
 *       generation with a growing context) gives up the sizes it stopped asking for instead of
 *       keeping them beside the new ones. A program that repeats the same steps keeps the blocks
 *       it needs: the blocks a step's mix of sizes needs exceed its in-use peak by much less than
 *       the default headroom ({@code StepMemoryTest} checks that a training loop mallocs nothing
 *       after its first steps). A headroom near 0 can make such a loop free and malloc blocks at
 *       every step (page faults again), which is why the default is generous.
 *   <li>A released block is kept idle only while the idle bytes stay within
 *       {@link #maxIdleBytes()} (default 1 GiB, {@code -Dtessera.pool.maxIdleBytes}), an absolute
 *       cap on top of the relative bound.
 * </ol>
 *
 * <p>Blocks are 64-byte aligned (whole AVX-512 vectors, one cache line).
 */
final class NativePool {
    private static final Logger LOG = LoggerFactory.getLogger(NativePool.class);
    private static final long ALIGN = 64;
    private static final Cleaner CLEANER = Cleaner.create();

    /** Default idle cap: blocks released beyond this many idle bytes are freed, not kept. */
    static final long DEFAULT_MAX_IDLE_BYTES = Long.getLong("tessera.pool.maxIdleBytes", 1L << 30);

    /**
     * How far the pool's footprint may exceed its in-use high-water mark before a malloc frees idle
     * blocks, as a fraction of that mark ({@code -Dtessera.pool.headroom}, default 1.0).
     */
    static final double DEFAULT_HEADROOM = headroomProperty();

    /** An idle block serves a request if it is at most 1/{@value} larger than the rounded request. */
    static final long FIT_SLACK_DIVISOR = 8;

    /** One native block: {@code base} as malloc returned it, {@code address} aligned inside it. */
    static final class Block implements Runnable {
        final long bytes;
        final Pointer base;
        final long address;
        private Cleaner.Cleanable cleanable;
        private boolean inUse;

        Block(long bytes, Pointer base, long address) {
            this.bytes = bytes;
            this.base = base;
            this.address = address;
        }

        /** The cleaner's action (explicit release or collection), run once. */
        @Override
        public void run() {
            giveBack(this);
        }
    }

    /** Idle blocks by size; a size's list is removed when it empties, so ceiling lookups see real blocks. */
    private static final TreeMap<Long, ArrayDeque<Block>> FREE = new TreeMap<>();
    /** Idle blocks in the order they were released: the first is the one idle longest. */
    private static final LinkedHashSet<Block> IDLE_ORDER = new LinkedHashSet<>();
    /** Blocks in use by address, so an explicit release finds the block behind a buffer. */
    private static final Map<Long, Block> IN_USE = new ConcurrentHashMap<>();
    private static long idleBytes;
    private static long inUseBytes;
    private static long inUsePeakBytes;
    private static long maxIdleBytes = DEFAULT_MAX_IDLE_BYTES;
    private static double headroom = DEFAULT_HEADROOM;
    private static long reused;
    private static long allocated;
    private static long evicted;

    private NativePool() {}

    private static double headroomProperty() {
        String v = System.getProperty("tessera.pool.headroom", "1.0");
        double h;
        try {
            h = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tessera.pool.headroom must be a number >= 0, got " + v, e);
        }
        if (!(h >= 0) || Double.isInfinite(h)) {
            throw new IllegalArgumentException("tessera.pool.headroom must be a finite number >= 0, got " + v);
        }
        return h;
    }

    /**
     * A block of at least {@code bytes} bytes, an idle one if one fits (see the class comment); the
     * caller ties it to the buffer over it at once with {@link #attach}.
     */
    static Block take(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("NativePool.take: bytes must be positive, got " + bytes);
        }
        long size = (bytes + ALIGN - 1) / ALIGN * ALIGN;
        Block b;
        List<Block> toFree = List.of();
        synchronized (NativePool.class) {
            b = takeIdle(size);
            if (b != null) {
                reused++;
            } else {
                allocated++;
                toFree = evictFor(size);
            }
            inUseBytes += b != null ? b.bytes : size;
            inUsePeakBytes = Math.max(inUsePeakBytes, inUseBytes);
        }
        for (Block victim : toFree) {
            Pointer.free(victim.base);
        }
        if (b == null) {
            Pointer base = Pointer.malloc(size + ALIGN);
            if (base == null || base.isNull()) {
                synchronized (NativePool.class) {
                    inUseBytes -= size;
                }
                throw new OutOfMemoryError("NativePool: malloc of " + (size + ALIGN) + " bytes failed");
            }
            long address = (base.address() + ALIGN - 1) / ALIGN * ALIGN;
            b = new Block(size, base, address);
        }
        b.inUse = true;
        IN_USE.put(b.address, b);
        return b;
    }

    /** An idle block for {@code size} rounded bytes: that exact size, else one at most 1/8 larger; null if none. */
    private static Block takeIdle(long size) {
        Map.Entry<Long, ArrayDeque<Block>> e = FREE.ceilingEntry(size);
        if (e == null || e.getKey() > size + size / FIT_SLACK_DIVISOR) {
            return null;
        }
        ArrayDeque<Block> q = e.getValue();
        Block b = q.pollLast(); // last in, first out: the warmest block
        if (q.isEmpty()) {
            FREE.remove(e.getKey());
        }
        IDLE_ORDER.remove(b);
        idleBytes -= b.bytes;
        return b;
    }

    /**
     * Takes out of the pool, for freeing outside the lock, the idle blocks idle longest until a new
     * block of {@code size} bytes keeps the footprint within the high-water mark plus headroom.
     */
    private static List<Block> evictFor(long size) {
        long highWater = Math.max(inUsePeakBytes, inUseBytes + size);
        long bound = highWater + (long) (highWater * headroom);
        if (inUseBytes + idleBytes + size <= bound) {
            return List.of();
        }
        List<Block> victims = new ArrayList<>();
        Iterator<Block> it = IDLE_ORDER.iterator();
        while (it.hasNext() && inUseBytes + idleBytes + size > bound) {
            Block v = it.next();
            it.remove();
            ArrayDeque<Block> q = FREE.get(v.bytes);
            q.remove(v);
            if (q.isEmpty()) {
                FREE.remove(v.bytes);
            }
            idleBytes -= v.bytes;
            victims.add(v);
        }
        evicted += victims.size();
        return victims;
    }

    /** Ties {@code block}'s return to the pool to {@code buffer} becoming unreachable. */
    static void attach(Block block, DataBuffer buffer) {
        block.cleanable = CLEANER.register(buffer, block);
    }

    /**
     * Returns the block at {@code address} to the pool now, if it is one of the pool's blocks in
     * use. The caller guarantees that nothing reads or writes that memory any more.
     *
     * @return whether a block was released
     */
    static boolean release(long address) {
        Block b = IN_USE.get(address);
        if (b == null) {
            return false;
        }
        b.cleanable.clean(); // runs giveBack at most once, and never again at collection
        return true;
    }

    /** Whether {@code address} is the start of a pool block in use. */
    static boolean owns(long address) {
        return IN_USE.containsKey(address);
    }

    /**
     * A block comes back (explicit release or collection): kept idle unless the idle cap is
     * reached, then freed.
     */
    private static void giveBack(Block b) {
        boolean free;
        synchronized (NativePool.class) {
            if (!b.inUse) {
                return;
            }
            b.inUse = false;
            IN_USE.remove(b.address);
            inUseBytes -= b.bytes;
            free = idleBytes + b.bytes > maxIdleBytes;
            if (!free) {
                FREE.computeIfAbsent(b.bytes, k -> new ArrayDeque<>()).addLast(b);
                IDLE_ORDER.add(b);
                idleBytes += b.bytes;
            }
        }
        if (free) {
            Pointer.free(b.base);
        }
    }

    /** Frees every idle block (e.g. when training is over, or to change the idle cap). */
    static void trim() {
        List<Block> toFree = new ArrayList<>();
        synchronized (NativePool.class) {
            for (ArrayDeque<Block> q : FREE.values()) {
                toFree.addAll(q);
            }
            FREE.clear();
            IDLE_ORDER.clear();
            idleBytes = 0;
        }
        for (Block b : toFree) {
            Pointer.free(b.base);
        }
        LOG.debug("freed {} idle blocks", toFree.size());
    }

    static synchronized long idleBytes() {
        return idleBytes;
    }

    static synchronized long inUseBytes() {
        return inUseBytes;
    }

    /** The most bytes ever in use at once. */
    static synchronized long inUsePeakBytes() {
        return inUsePeakBytes;
    }

    /** Forgets the high-water mark: from now on it is the bytes in use now (tests; a program changing phase). */
    static synchronized void resetInUsePeak() {
        inUsePeakBytes = inUseBytes;
    }

    static synchronized double headroom() {
        return headroom;
    }

    /** Sets the headroom fraction (see the class comment); takes effect at the next malloc. */
    static void setHeadroom(double fraction) {
        if (!(fraction >= 0) || Double.isInfinite(fraction)) {
            throw new IllegalArgumentException("headroom must be a finite fraction >= 0, got " + fraction);
        }
        synchronized (NativePool.class) {
            headroom = fraction;
        }
    }

    /** Idle blocks freed to keep the footprint within the high-water mark plus headroom. */
    static synchronized long evictedCount() {
        return evicted;
    }

    static synchronized long maxIdleBytes() {
        return maxIdleBytes;
    }

    static void setMaxIdleBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("maxIdleBytes must be >= 0, got " + bytes);
        }
        synchronized (NativePool.class) {
            maxIdleBytes = bytes;
        }
        trim();
    }

    /** Requests served from an idle block (warm pages). */
    static synchronized long reusedCount() {
        return reused;
    }

    /** Requests that needed a new block from malloc. */
    static synchronized long allocatedCount() {
        return allocated;
    }
}
