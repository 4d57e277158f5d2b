package dev.tessera.attention;

/**
 * Rotary position embedding settings. Typical: base 10,000 (GPT-NeoX, Llama 1/2), 500,000
 * (Llama 3); scaling factor 2–8 for context extension; Llama 3.1 uses {@link RopeScaling#LLAMA3}
 * with factor 8, low/high frequency factors 1 and 4 and an original context of 8192.
 *
 * @param base the frequency base θ, > 1
 * @param scaling how positions or the base are scaled
 * @param factor the scaling factor, ≥ 1 (ignored for {@link RopeScaling#NONE})
 * @param lowFreqFactor {@link RopeScaling#LLAMA3} only (0 otherwise): wavelengths above
 *     {@code originalContextLength / lowFreqFactor} are fully scaled, > 0
 * @param highFreqFactor {@link RopeScaling#LLAMA3} only (0 otherwise): wavelengths below
 *     {@code originalContextLength / highFreqFactor} are kept, > lowFreqFactor
 * @param originalContextLength {@link RopeScaling#LLAMA3} only (0 otherwise): the context the
 *     model was pretrained with, > 0
 */
public record RopeConfig(double base, RopeScaling scaling, double factor, double lowFreqFactor, double highFreqFactor,
        int originalContextLength) {
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
        if (scaling == RopeScaling.LLAMA3) {
            if (!(lowFreqFactor > 0) || Double.isInfinite(lowFreqFactor)) {
                throw new IllegalArgumentException("lowFreqFactor must be finite and > 0 for LLAMA3 scaling (Llama 3.1: 1) "
                        + "but was " + lowFreqFactor);
            }
            if (!(highFreqFactor > lowFreqFactor) || Double.isInfinite(highFreqFactor)) {
                throw new IllegalArgumentException("highFreqFactor must be finite and > lowFreqFactor (" + lowFreqFactor
                        + ") for LLAMA3 scaling (Llama 3.1: 4) but was " + highFreqFactor);
            }
            if (originalContextLength <= 0) {
                throw new IllegalArgumentException("originalContextLength must be > 0 for LLAMA3 scaling (Llama 3.1: 8192) "
                        + "but was " + originalContextLength);
            }
        } else if (lowFreqFactor != 0 || highFreqFactor != 0 || originalContextLength != 0) {
            throw new IllegalArgumentException("lowFreqFactor, highFreqFactor and originalContextLength apply to LLAMA3 "
                    + "scaling only and must be 0 for " + scaling + " but were " + lowFreqFactor + ", " + highFreqFactor
                    + ", " + originalContextLength);
        }
    }

    /** NONE, LINEAR or NTK scaling (the LLAMA3 parameters 0). */
    public RopeConfig(double base, RopeScaling scaling, double factor) {
        this(base, scaling, factor, 0, 0, 0);
    }

    /** Base 10,000, no scaling (Llama 2). */
    public static RopeConfig standard() {
        return new RopeConfig(10_000, RopeScaling.NONE, 1);
    }

    /** Llama 3.1-style scaling ({@link RopeScaling#LLAMA3}); Llama 3.1 8B: (500000, 8, 1, 4, 8192). */
    public static RopeConfig llama3(double base, double factor, double lowFreqFactor, double highFreqFactor,
            int originalContextLength) {
        return new RopeConfig(base, RopeScaling.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalContextLength);
    }

    /**
     * The inverse frequencies {@code 1 / base'^(2i / D)}, i in [0, D/2), with NTK scaling applied
     * to the base, or LLAMA3 scaling applied to each frequency by its wavelength {@code 2π / f}.
     */
    double[] inverseFrequencies(int headDim) {
        double b = scaling == RopeScaling.NTK ? base * Math.pow(factor, headDim / (headDim - 2.0)) : base;
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / Math.pow(b, 2.0 * i / headDim);
            if (scaling == RopeScaling.LLAMA3) {
                f[i] = llama3Scaled(f[i]);
            }
        }
        return f;
    }

    /** One frequency under LLAMA3 scaling: kept (short wavelength), divided by factor (long), or blended. */
    private double llama3Scaled(double f) {
        double wavelength = 2 * Math.PI / f;
        if (wavelength < originalContextLength / highFreqFactor) {
            return f;
        }
        if (wavelength > originalContextLength / lowFreqFactor) {
            return f / factor;
        }
        double smooth = (originalContextLength / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * f / factor + smooth * f;
    }

    /** The position used for the angles (divided by the factor for linear scaling). */
    double scaledPosition(long position) {
        return scaling == RopeScaling.LINEAR ? position / factor : position;
    }
}
