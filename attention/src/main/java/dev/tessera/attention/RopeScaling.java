package dev.tessera.attention;

/** How RoPE stretches to contexts longer than it was trained on. */
public enum RopeScaling {
    /** Plain rotary embeddings. */
    NONE,
    /** Position interpolation: positions divided by the factor (Chen et al. 2023). */
    LINEAR,
    /** "NTK-aware" scaling: the base multiplied by {@code factor^(D / (D - 2))}, positions unchanged. */
    NTK,
    /**
     * Llama 3.1's frequency-dependent scaling (Hugging Face {@code rope_type: "llama3"}): frequencies
     * whose wavelength is shorter than {@code originalContextLength / highFreqFactor} are kept,
     * those longer than {@code originalContextLength / lowFreqFactor} are divided by the factor,
     * and the band between blends the two linearly in {@code originalContextLength / wavelength}.
     */
    LLAMA3
}
