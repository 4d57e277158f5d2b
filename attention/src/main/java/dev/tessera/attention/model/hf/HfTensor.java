package dev.tessera.attention.model.hf;

/**
 * One Hugging Face tensor that holds a Tessera parameter.
 *
 * @param name the Hugging Face name, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param transposed whether the file stores the transpose of Tessera's (in, out) layout: (out, in)
 */
record HfTensor(String name, boolean transposed) {
    HfTensor {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("name must be a non-empty tensor name but was '" + name + "'");
        }
    }
}
