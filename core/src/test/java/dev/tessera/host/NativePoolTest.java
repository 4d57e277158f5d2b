package dev.tessera.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The pool's policy ({@link NativePool}): exact and near-size reuse, the idle cap, the bound of the
 * footprint by the in-use high-water mark plus headroom, blocks left to the collector kept, and no
 * block lost. Every test starts from
 * an empty idle list and a high-water mark equal to what is in use, and puts the knobs back.
 */
class NativePoolTest {
    private static final int KB = 1024;
    private boolean pooled;

    @BeforeEach
    void setUp() {
        pooled = HostMemory.setPooling(true);
        NativePool.setMaxIdleBytes(NativePool.DEFAULT_MAX_IDLE_BYTES); // also frees every idle block
        NativePool.setHeadroom(NativePool.DEFAULT_HEADROOM);
        NativePool.resetInUsePeak();
    }

    @AfterEach
    void tearDown() {
        NativePool.setMaxIdleBytes(NativePool.DEFAULT_MAX_IDLE_BYTES);
        NativePool.setHeadroom(NativePool.DEFAULT_HEADROOM);
        HostMemory.setPooling(pooled);
    }

    private static long address(INDArray x) {
        return x.data().address();
    }

    /** n floats of one value, from the pool. */
    private static INDArray filled(long n, float value) {
        INDArray x = HostMemory.newFloats(n);
        x.assign(value);
        return x;
    }

    @Test
    void releasedBlockIsReusedForTheSameSize() {
        INDArray a = filled(64 * KB, 1f);
        long addr = address(a);
        assertTrue(NativePool.owns(addr));
        assertTrue(HostMemory.release(a));
        assertFalse(NativePool.owns(addr), "no longer in use");
        assertEquals(256L * KB, NativePool.idleBytes());
        long[] counts = HostMemory.poolCounts();
        INDArray b = filled(64 * KB, 2f);
        assertEquals(addr, address(b), "the released block, warm");
        assertEquals(counts[0] + 1, HostMemory.poolCounts()[0]);
        assertEquals(counts[1], HostMemory.poolCounts()[1]);
        assertEquals(2.0 * 64 * KB, b.sumNumber().doubleValue(), 0.0);
        assertTrue(HostMemory.release(b));
        assertFalse(NativePool.owns(addr));
    }

    @Test
    void slightlyLargerIdleBlockServesARequestAndAMuchLargerOneDoesNot() {
        INDArray big = filled(9 * KB, 1f); // 36 KB
        long addr = address(big);
        HostMemory.release(big);
        INDArray near = filled(8 * KB + 1, 3f); // 32 KB + 64 B rounded: 36 KB is within 1/8
        assertEquals(addr, address(near));
        assertEquals(3.0 * (8 * KB + 1), near.sumNumber().doubleValue(), 0.0, "every element is the new array's");
        HostMemory.release(near);
        assertEquals(36L * KB, NativePool.idleBytes(), "the block keeps its size");
        INDArray small = filled(4 * KB, 1f); // 16 KB: 36 KB is more than 1/8 larger
        assertNotEquals(addr, address(small));
        HostMemory.release(small);
    }

    @Test
    void idleCapHolds() {
        NativePool.setMaxIdleBytes(100L * KB);
        List<INDArray> xs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            xs.add(filled(8 * KB, i)); // 32 KB each
        }
        for (INDArray x : xs) {
            long addr = address(x);
            HostMemory.release(x);
            assertTrue(NativePool.idleBytes() <= 100L * KB, "idle " + NativePool.idleBytes());
            assertFalse(NativePool.owns(addr));
        }
        assertEquals(96L * KB, NativePool.idleBytes(), "three kept, two freed");
    }

    @Test
    void mallocFreesTheBlocksIdleLongestToStayWithinTheHighWaterMark() {
        NativePool.setHeadroom(0); // the footprint may not exceed the high-water mark at all
        long base = NativePool.inUseBytes();
        // a phase that uses four blocks of 64 KB at once: high-water mark base + 256 KB
        List<INDArray> phase1 = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            phase1.add(filled(16 * KB, i));
        }
        long first = address(phase1.get(0));
        long last = address(phase1.get(3));
        phase1.forEach(HostMemory::release); // released in order: the first is idle longest
        assertEquals(256L * KB, NativePool.idleBytes());
        long evicted = NativePool.evictedCount();
        // a phase of another size: 96 KB in use plus 256 KB idle would exceed the mark
        INDArray other = filled(24 * KB, 5f);
        long footprint = NativePool.inUseBytes() + NativePool.idleBytes();
        assertTrue(footprint <= base + 256L * KB, "footprint " + footprint + " over " + (base + 256L * KB));
        assertEquals(evicted + 2, NativePool.evictedCount(), "two 64 KB blocks freed, no more");
        assertEquals(128L * KB, NativePool.idleBytes());
        // the block released last is still there: the warmest one stays
        INDArray again = filled(16 * KB, 6f);
        assertEquals(last, address(again));
        INDArray again2 = filled(16 * KB, 7f);
        assertNotEquals(first, address(again2), "the block idle longest was freed first");
        assertEquals(7.0 * 16 * KB, again2.sumNumber().doubleValue(), 0.0);
        for (INDArray x : List.of(other, again, again2)) {
            long addr = address(x);
            assertTrue(HostMemory.release(x));
            assertFalse(NativePool.owns(addr), "nothing lost");
        }
    }

    @Test
    void headroomLetsIdleBlocksStayAboveTheMark() {
        NativePool.setHeadroom(1.0); // the footprint may reach twice the high-water mark
        INDArray a = filled(16 * KB, 1f);
        HostMemory.release(a);
        long evicted = NativePool.evictedCount();
        INDArray b = filled(24 * KB, 2f); // 96 KB beside 64 KB idle: within twice the mark
        assertEquals(evicted, NativePool.evictedCount());
        assertEquals(64L * KB, NativePool.idleBytes());
        HostMemory.release(b);
    }

    @Test
    void repeatedStepsOfTheSameShapesAreServedWithoutMallocAfterTheFirst() {
        long[] sizes = {8 * KB, 24 * KB, 8 * KB, 64 * KB, 3 * KB, 24 * KB};
        long mallocs = 0;
        for (int step = 0; step < 5; step++) {
            if (step == 1) {
                mallocs = HostMemory.poolCounts()[1];
            }
            List<INDArray> live = new ArrayList<>();
            for (long n : sizes) {
                live.add(filled(n, step));
                if (live.size() % 3 == 0) {
                    HostMemory.release(live.remove(0)); // a temporary dies mid-step
                }
            }
            live.forEach(HostMemory::release);
        }
        assertEquals(mallocs, HostMemory.poolCounts()[1], "no malloc after the first step");
    }

    @Test
    void blockLeftToTheCollectorComesBackIdleAndIsReused() throws InterruptedException {
        long addr = address(filled(32 * KB, 1f)); // the array is dropped at once, never released
        for (int i = 0; i < 500 && NativePool.owns(addr); i++) {
            System.gc(); // the cleaner returns the block once the collector has found its buffer
            Thread.sleep(10);
        }
        assertFalse(NativePool.owns(addr), "the collector did not find the dropped array in 5 s");
        INDArray again = filled(32 * KB, 2f);
        assertEquals(addr, address(again), "the collected block, kept idle");
        assertEquals(2.0 * 32 * KB, again.sumNumber().doubleValue(), 0.0);
        HostMemory.release(again);
    }

    @Test
    void badKnobsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> NativePool.setHeadroom(-0.1));
        assertThrows(IllegalArgumentException.class, () -> NativePool.setHeadroom(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> NativePool.setMaxIdleBytes(-1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativePool.take(0));
        assertTrue(e.getMessage().contains("got 0"), e.getMessage());
    }
}
