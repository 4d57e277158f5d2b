package dev.tessera.core;

/**
 * Argument validation shared by every config record and public entry point. Each check throws an
 * {@link IllegalArgumentException} whose message names the argument, what was expected and what
 * was given ({@code "nHead must be > 0 but was 0"}), and returns the value so that a compact
 * constructor can validate and assign in one line.
 *
 * <p>Plain Java only (no ND4J), so tokenizer code can use it without loading native libraries.
 */
public final class Require {
    private Require() {}

    /**
     * The general form: throws {@code "<name> must be <expected> but was <actual>"} unless {@code ok}.
     *
     * @param ok the condition the argument satisfies
     * @param name the argument's name as the caller knows it
     * @param expected what a valid value looks like, e.g. {@code "in [0, 1)"}
     * @param actual the value given
     */
    public static void that(boolean ok, String name, String expected, Object actual) {
        if (!ok) {
            throw new IllegalArgumentException(name + " must be " + expected + " but was " + actual);
        }
    }

    /** Requires {@code v > 0}. */
    public static int positive(String name, int v) {
        that(v > 0, name, "> 0", v);
        return v;
    }

    /** Requires {@code v > 0}. */
    public static long positive(String name, long v) {
        that(v > 0, name, "> 0", v);
        return v;
    }

    /** Requires a finite {@code v > 0} (NaN and infinity are refused). */
    public static double positive(String name, double v) {
        that(v > 0 && v < Double.POSITIVE_INFINITY, name, "finite and > 0", v);
        return v;
    }

    /** Requires {@code v >= 0}. */
    public static int nonNegative(String name, int v) {
        that(v >= 0, name, ">= 0", v);
        return v;
    }

    /** Requires {@code v >= 0}. */
    public static long nonNegative(String name, long v) {
        that(v >= 0, name, ">= 0", v);
        return v;
    }

    /** Requires a finite {@code v >= 0}. */
    public static double nonNegative(String name, double v) {
        that(v >= 0 && v < Double.POSITIVE_INFINITY, name, "finite and >= 0", v);
        return v;
    }

    /** Requires a finite value (not NaN, not infinite). */
    public static double finite(String name, double v) {
        that(Double.isFinite(v), name, "finite", v);
        return v;
    }

    /** Requires {@code lo <= v <= hi}. */
    public static int inRange(String name, int v, int lo, int hi) {
        that(v >= lo && v <= hi, name, "in [" + lo + ", " + hi + "]", v);
        return v;
    }

    /** Requires {@code lo <= v <= hi} (NaN is refused). */
    public static double inRange(String name, double v, double lo, double hi) {
        that(v >= lo && v <= hi, name, "in [" + number(lo) + ", " + number(hi) + "]", v);
        return v;
    }

    /** Requires {@code lo <= v < hi} (NaN is refused), e.g. a dropout probability in [0, 1). */
    public static double inHalfOpen(String name, double v, double lo, double hi) {
        that(v >= lo && v < hi, name, "in [" + number(lo) + ", " + number(hi) + ")", v);
        return v;
    }

    /** A bound as people write it: 1 rather than 1.0. */
    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** Requires a non-null value. */
    public static <T> T nonNull(String name, T v) {
        if (v == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return v;
    }
}
