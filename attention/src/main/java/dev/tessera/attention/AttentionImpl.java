package dev.tessera.attention;

/** Which implementation of scaled dot-product attention to run; all give the same results. */
public enum AttentionImpl {
    /** Per-head GEMMs on the operands in place around fused Java row loops; materialises (B, H, Tq, Tk) probabilities. The CPU default. */
    FUSED,
    /** Only ND4J ops (runs on any ND4J backend, e.g. CUDA); materialises the probabilities. */
    PORTABLE,
    /**
     * FlashAttention-2-style online softmax over key blocks; never materialises (Tq, Tk): extra
     * memory O(T·D) per head. Does not support a tensor bias (use ALiBi slopes) nor returning probabilities.
     */
    TILED
}
