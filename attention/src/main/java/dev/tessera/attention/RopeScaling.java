package dev.tessera.attention;

/** How RoPE stretches to contexts longer than it was trained on. */
public enum RopeScaling {
    /** Plain rotary embeddings. */
    NONE,
    /** Position interpolation: positions divided by the factor (Chen et al. 2023). */
    LINEAR,
    /** "NTK-aware" scaling: the base multiplied by {@code factor^(D / (D - 2))}, positions unchanged. */
    NTK
}
