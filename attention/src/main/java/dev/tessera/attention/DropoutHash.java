package dev.tessera.attention;

/**
 * Counter-based dropout decisions: element (row, j) of the attention probabilities is kept or
 * dropped by a hash of (seed, row, j), so the fused, tiled and portable paths, any thread split,
 * and the backward pass (which regenerates the mask instead of storing it) agree exactly. One
 * seed is drawn from the caller's {@code Rng} per attention call, so that Rng's saved state fixes
 * the masks. (SplitMix64's finaliser; its 24 high bits give a uniform float in [0, 1).)
 */
final class DropoutHash {
    private DropoutHash() {}

    static boolean keep(long seed, long row, long j, double p) {
        long z = seed + (row * 0x9E3779B97F4A7C15L) + (j + 1) * 0xD1B54A32D192ED03L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return ((z >>> 40) * 0x1.0p-24) >= p;
    }
}
