package dev.tessera.core;

import dev.tessera.backend.Backend;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A seeded random source whose whole state can be saved and restored, so that a resumed
 * training run draws exactly the numbers the uninterrupted run would have drawn.
 *
 * <p>The generator is xoshiro256** (Blackman and Vigna), seeded through SplitMix64. It is
 * implemented here rather than taken from ND4J because ND4J's native generator state cannot
 * be snapshotted portably, and exact resume needs that. Not thread-safe: give each thread its
 * own {@link #fork()}.
 */
public final class Rng {
    static {
        // Rng creates ND4J arrays and is often the first Tessera class a program touches: pick
        // the native build (AVX2/AVX-512, MKL) before ND4J loads, as Tensor does.
        Backend.init();
    }

    private long s0;
    private long s1;
    private long s2;
    private long s3;
    private double spareGaussian;
    private boolean hasSpare;

    /** A generator seeded with {@code seed}; equal seeds give equal streams. */
    public Rng(long seed) {
        long x = seed;
        long[] s = new long[4];
        for (int i = 0; i < 4; i++) {
            x += 0x9E3779B97F4A7C15L;
            long z = x;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            s[i] = z ^ (z >>> 31);
        }
        s0 = s[0];
        s1 = s[1];
        s2 = s[2];
        s3 = s[3];
    }

    /** The next 64 random bits. */
    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, bound), unbiased (Lemire's method). */
    public int nextInt(int bound) {
        Require.positive("bound", bound);
        long m = (nextLong() >>> 32) * bound;
        long l = m & 0xFFFFFFFFL;
        if (l < bound) {
            long threshold = (0x100000000L - bound) % bound;
            while (l < threshold) {
                m = (nextLong() >>> 32) * bound;
                l = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** Standard normal (Marsaglia polar method). */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareGaussian;
        }
        double u;
        double v;
        double s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.sqrt(-2 * Math.log(s) / s);
        spareGaussian = v * f;
        hasSpare = true;
        return u * f;
    }

    /** An array of the given shape with N(mean, std²) entries. */
    public INDArray normal(DataType dtype, double mean, double std, long... shape) {
        double[] v = new double[Math.toIntExact(count(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = mean + std * nextGaussian();
        }
        return Nd4j.create(v, shape, DataType.DOUBLE).castTo(dtype);
    }

    /** An array of the given shape with U[low, high) entries. */
    public INDArray uniform(DataType dtype, double low, double high, long... shape) {
        double[] v = new double[Math.toIntExact(count(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = low + (high - low) * nextDouble();
        }
        return Nd4j.create(v, shape, DataType.DOUBLE).castTo(dtype);
    }

    /** A generator seeded from this one's next output: independent streams for threads or sub-tasks. */
    public Rng fork() {
        return new Rng(nextLong());
    }

    /** A snapshot of the full state (restore with {@link #setState}). */
    public long[] state() {
        return new long[] {s0, s1, s2, s3, Double.doubleToRawLongBits(spareGaussian), hasSpare ? 1 : 0};
    }

    /** Restores a snapshot taken with {@link #state()}. */
    public void setState(long[] state) {
        if (state == null || state.length != 6) {
            throw new IllegalArgumentException("state must have 6 longs but was "
                    + (state == null ? "null" : Arrays.toString(state)));
        }
        if ((state[0] | state[1] | state[2] | state[3]) == 0) {
            throw new IllegalArgumentException("state must not be all zero (not a valid xoshiro256** state)");
        }
        s0 = state[0];
        s1 = state[1];
        s2 = state[2];
        s3 = state[3];
        spareGaussian = Double.longBitsToDouble(state[4]);
        hasSpare = state[5] != 0;
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape must not have negative dims: " + Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }
}
