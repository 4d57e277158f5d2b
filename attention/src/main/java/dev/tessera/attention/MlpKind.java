package dev.tessera.attention;

/** The feed-forward network of a transformer block. */
public enum MlpKind {
    /** c_proj(gelu(c_fc(x))), exact erf GELU (BERT). */
    GELU,
    /** c_proj(gelu_tanh(c_fc(x))), the tanh approximation (GPT-2). */
    GELU_TANH,
    /** down_proj(silu(gate_proj(x)) ⊙ up_proj(x)) (Llama, Shazeer 2020). */
    SWIGLU
}
