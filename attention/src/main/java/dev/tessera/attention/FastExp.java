package dev.tessera.attention;

/**
 * {@code exp(x)} for float32 softmax arguments {@code x ≤ 0}, in plain arithmetic: the nearest
 * integer n to x·log2(e), the remainder {@code r = x − n·ln2} in [−ln2/2, ln2/2] computed with
 * ln2 split in a high part exact in float and a low part (Cody and Waite), so that large |x| lose
 * no accuracy; e^r as its degree-6 Taylor polynomial (remainder (ln2/2)^7/7! ≈ 1.2e-7, about one
 * float ulp); and 2^n written straight into the exponent bits. Arguments below −87 are clamped
 * (exp(−87) ≈ 1.6e-38, which softmax sums treat as 0).
 *
 * <p>Performance note: {@code Math.exp} cost ~20–30 ns per call in the attention row loop on the
 * loaded project machine (a scalar call that C2 does not vectorise) and made the
 * softmax the slowest part of the fused op; this is a dozen multiply-adds kept in registers,
 * about twice as fast end to end in the row loop. The Java Vector API's {@code EXP} would be
 * faster still but is an incubator module that users' JVMs may lack. A first version reduced
 * with truncation (fraction in (−1, 0]) and without the split ln2 was off by up to 3e-5 and 4e-6
 * relative. Float64 attention runs the portable ND4J path (gradient checks want full precision).
 */
final class FastExp {
    private static final float LOG2E = 1.4426950408889634f;
    private static final float LN2_HI = 0.693359375f; // few significant bits: n·LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f; // ln2 − LN2_HI

    private FastExp() {}

    /** exp(x) for x ≤ 0 (the softmax shifts by the row max first; small positive rounding excess is fine). */
    static float exp(float x) {
        float xc = Math.max(x, -87f);
        int n = (int) (xc * LOG2E - 0.5f); // nearest integer for xc <= 0: [-126, 0]
        float r = (xc - n * LN2_HI) - n * LN2_LO; // [-ln2/2, ln2/2]
        float p = 1 + r * (1 + r * (1f / 2 + r * (1f / 6 + r * (1f / 24 + r * (1f / 120 + r * (1f / 720))))));
        return p * Float.intBitsToFloat((n + 127) << 23);
    }
}
