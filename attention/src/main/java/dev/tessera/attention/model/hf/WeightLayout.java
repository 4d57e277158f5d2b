package dev.tessera.attention.model.hf;

/**
 * How one architecture's Tessera parameter names map onto its Hugging Face tensor names. Tessera's
 * {@code Linear} stores weights input-major (in, out); PyTorch's {@code nn.Linear} stores them
 * (out, in), GPT-2's {@code Conv1D} (in, out): {@link HfTensor#transposed()} says which.
 */
interface WeightLayout {

    /** The Hugging Face tensor that holds the Tessera parameter {@code tesseraName}. */
    HfTensor toHf(String tesseraName);

    /**
     * A tensor name as found in a file, normalised to the form {@link #toHf} produces (optional
     * prefixes removed), or null for a buffer that is not a parameter and is skipped (causal-mask
     * and rotary-frequency buffers of older exports).
     */
    String canonical(String fileName);

    /** The Hugging Face name of the token embedding, which a tied LM head equals. */
    String embeddingName();

    /** The Hugging Face name of the LM head ({@code lm_head.weight}). */
    default String headName() {
        return "lm_head.weight";
    }

    /** The architecture, for messages ("GPT-2", "Llama"). */
    String architecture();
}
