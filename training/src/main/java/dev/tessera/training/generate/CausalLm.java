package dev.tessera.training.generate;

import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What generation needs from a decoder-only language model, kept this small so that any model
 * (the attention module's decoders, a test double) can be generated from.
 */
public interface CausalLm {
    int vocabSize();

    /** The most positions a sequence may have. */
    int contextLength();

    /** ids (B, T) → logits (B, T, V), recomputing everything (no cache). */
    Tensor logits(INDArray ids);

    /**
     * ids (B, T) → logits of the last position only, (B, 1, V): all that generation without a
     * cache uses. The default slices {@link #logits}; models override it to apply the LM head to
     * the last position alone (nanoGPT's {@code lm_head(x[:, [-1], :])}), which for a 8192-word
     * vocabulary is most of an uncached step's arithmetic at T = 144.
     */
    default Tensor lastLogits(INDArray ids) {
        Tensor all = logits(ids); // (B, T, V)
        long t = all.size(1);
        return all.slice(1, t - 1, t);
    }

    /**
     * A fresh incremental decoder holding a KV cache for {@code batch} sequences of up to
     * {@code capacity} tokens, or null when the model has none.
     */
    Decoder decoder(int batch, int capacity);

    /** Incremental decoding: each call appends tokens to every sequence of the batch. */
    interface Decoder {
        /** ids (B, t), the next t tokens of each sequence → their logits (B, t, V). */
        Tensor append(INDArray ids);
    }
}
