package dev.tessera.attention;

/**
 * What the fused attention holds in its reused score buffers (the (B·H, Tq, Tk) score, probability
 * and score-gradient matrices that never leave the op): read-only figures for memory reports such
 * as the training-step peak-memory benchmark, and a way to hand the kept buffers back.
 */
public final class AttentionMemory {
    private AttentionMemory() {}

    /** Bytes of score buffers borrowed by attention ops and not given back yet (held for a backward). */
    public static long scoreBufferBytesInUse() {
        return ScoreBuffers.borrowedBytes();
    }

    /**
     * Bytes of score buffers kept free for the next attention call on this class's own list: those
     * made where Tessera's pool was off. Score buffers made from the pool go back to it when freed
     * and count among its idle bytes ({@code HostMemory.pooledBytesIdle}).
     */
    public static long scoreBufferBytesFree() {
        return ScoreBuffers.freeBytes();
    }

    /** Frees every kept score buffer now (e.g. after training); later calls allocate afresh. */
    public static void freeScoreBuffers() {
        ScoreBuffers.clear();
    }
}
