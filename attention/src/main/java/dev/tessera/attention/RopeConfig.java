package dev.tessera.attention;

/**
 * Rotary position embedding settings. Typical: base 10,000 (GPT-NeoX, Llama 1/2), 500,000
 * (Llama 3); scaling factor 2–8 for context extension.
 *
 * @param base the frequency base θ, > 1
 * @param scaling how positions or the base are scaled
 * @param factor the scaling factor, ≥ 1 (ignored for {@link RopeScaling#NONE})
 */
public record RopeConfig(double base, RopeScaling scaling, double factor) {
    public RopeConfig {
        if (!(base > 1) || Double.isInfinite(base)) {
            throw new IllegalArgumentException("base must be finite and > 1 (10000 is typical) but was " + base);
        }
        if (scaling == null) {
            throw new IllegalArgumentException("scaling must not be null (use RopeScaling.NONE)");
        }
        if (!(factor >= 1) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("factor must be finite and >= 1 but was " + factor);
        }
    }

    /** Base 10,000, no scaling (Llama 2). */
    public static RopeConfig standard() {
        return new RopeConfig(10_000, RopeScaling.NONE, 1);
    }

    /** The inverse frequencies {@code 1 / base'^(2i / D)}, i in [0, D/2), with NTK scaling applied to the base. */
    double[] inverseFrequencies(int headDim) {
        double b = scaling == RopeScaling.NTK ? base * Math.pow(factor, headDim / (headDim - 2.0)) : base;
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / Math.pow(b, 2.0 * i / headDim);
        }
        return f;
    }

    /** The position used for the angles (divided by the factor for linear scaling). */
    double scaledPosition(long position) {
        return scaling == RopeScaling.LINEAR ? position / factor : position;
    }
}
