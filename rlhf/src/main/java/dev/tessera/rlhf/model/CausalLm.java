package dev.tessera.rlhf.model;

import dev.tessera.core.Tensor;
import dev.tessera.nn.Module;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What RLHF needs from a decoder-only language model: hidden states (for reward and value
 * heads), logits, an incremental decoder (KV cache) for sampling, and an independent copy (the
 * frozen reference model, a reward model initialised from the SFT model).
 *
 * <p>Sequences are right-padded: a causal model's outputs at a position never depend on later
 * positions, so padding after a sequence's last token changes nothing for that sequence and no
 * attention mask is needed.
 */
public interface CausalLm {
    /** The module that owns every parameter (for optimizers, state dicts, train/eval). */
    Module module();

    int vocabSize();

    /**
     * The parameters a trainer optimises: all of {@link #module()}'s by default; only the
     * adapters for a model with LoRA adapters ({@link LoraLm}), whose base weights stay frozen.
     */
    default java.util.Map<String, dev.tessera.nn.Parameter> trainableParameters() {
        return module().namedParameters();
    }

    /** The parameters' dtype (float32 for training, float64 in gradient checks). */
    default org.nd4j.linalg.api.buffer.DataType dtype() {
        return module().parameters().get(0).dtype();
    }

    /** Width C of the hidden states. */
    int hiddenSize();

    /** Longest sequence the model accepts (its position table). */
    int contextLength();

    /** ids (B, T) integer → final hidden states (B, T, C), after the final norm. */
    Tensor hidden(INDArray ids);

    /** hidden (B, T, C) → logits (B, T, V). */
    Tensor logits(Tensor hidden);

    /** ids (B, T) → logits (B, T, V). */
    default Tensor forward(INDArray ids) {
        return logits(hidden(ids));
    }

    /** A fresh incremental decoder for {@code batch} sequences (empty cache). */
    Decoder decoder(int batch);

    /** A new model with the same architecture and a copy of the current parameter values. */
    CausalLm copy();

    /** Incremental decoding over a KV cache. */
    interface Decoder {
        /**
         * Appends ids (B, n) to every sequence and returns the logits at those n positions (B, n, V).
         * The first call usually feeds the prompts, later calls one sampled token each.
         */
        Tensor feed(INDArray ids);

        /** Tokens fed so far per sequence. */
        int length();
    }
}
