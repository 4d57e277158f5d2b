package dev.tessera.attention;

/** The normalisation layer of a transformer block. */
public enum NormKind {
    /** LayerNorm with weight and bias (GPT-2, BERT). */
    LAYER_NORM,
    /** RmsNorm with weight only (Llama). */
    RMS_NORM
}
