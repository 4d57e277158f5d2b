package dev.tessera.host;

/**
 * Reused per-thread {@code float[]} work space: kernels copy a block of rows into these, compute, and
 * copy back, allocating nothing per call once a thread's arrays have grown to the largest block.
 *
 * <p>Each thread has {@link #SLOTS} independent arrays; a kernel uses distinct slots for the arrays
 * it needs at the same time. Slots below {@link #FIRST_OP_SLOT} are the kernels' own; the slots from
 * there are for ops that lend the calling thread's arrays to a parallel kernel for the length of the
 * call (a norm's weights and per-row statistics when no gradient will be taken), which the kernels,
 * running on that same thread as chunk 0, must not take. Arrays only grow (to the largest size asked
 * for on that thread), which bounds the memory to a few blocks per pool thread.
 */
public final class Scratch {
    /** How many independent arrays a kernel may hold at once on one thread. */
    public static final int SLOTS = 10;

    /** The first slot for arrays an op holds across a parallel kernel call (slots 6 to 9). */
    public static final int FIRST_OP_SLOT = 6;

    private static final ThreadLocal<float[][]> ARRAYS = ThreadLocal.withInitial(() -> new float[SLOTS][]);

    private Scratch() {}

    /** This thread's array in {@code slot}, at least {@code n} long (contents unspecified). */
    public static float[] floats(int slot, int n) {
        float[][] a = ARRAYS.get();
        float[] s = a[slot];
        if (s == null || s.length < n) {
            s = new float[Math.max(n, s == null ? 0 : s.length + (s.length >> 1))];
            a[slot] = s;
        }
        return s;
    }
}
