package dev.tessera.attention.model;

import dev.tessera.core.Tensor;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A decoder-only (causal) language model: what training, generation and RLHF need from one.
 * {@link DecoderModel} (GPT-2, Llama) implements it; so can a test model.
 *
 * <p>Two ways to run it:
 * <ul>
 *   <li>the full forward, {@link #hidden} then {@link #logits}, recorded for autograd (training,
 *       log-probabilities of whole sequences, reward and value heads on {@link #hidden});</li>
 *   <li>incremental decoding: {@link #newDecoder} holds the state of earlier tokens (a KV cache),
 *       and {@link Decoder#step} appends tokens and returns only their logits.</li>
 * </ul>
 *
 * <p>Padded batches: {@code attentionMask} (B, T) is 1 for real tokens and 0 for padding, or null
 * when every token is real. Positions count real tokens only and padded tokens are never attended,
 * so a sequence gets the same logits left-padded in a batch as alone; outputs at padded positions
 * are meaningless. Right padding needs no mask at all: a causal model's output at a position never
 * depends on later positions.
 *
 * <pre>{@code
 * Tensor logits = lm.forward(ids);                      // (B, T, V)
 * CausalLm.Decoder d = lm.newDecoder(B, 64);
 * Tensor first = d.step(promptIds, promptMask);         // (B, Tp, V)
 * Tensor next = d.step(nextIds, null);                  // (B, 1, V)
 * }</pre>
 */
public interface CausalLm {
    /** The module that owns every parameter (for optimizers, state dicts, train/eval). */
    Module module();

    /**
     * The parameters a trainer optimises: all of {@link #module()}'s by default. A model with
     * low-rank adapters returns the adapters alone, so that its base weights stay frozen.
     */
    default Map<String, Parameter> trainableParameters() {
        return module().namedParameters();
    }

    /** V, the vocabulary size. */
    int vocabSize();

    /** C, the width of the hidden states. */
    int hiddenSize();

    /** The longest sequence (prompt plus generated tokens, padding not counted) the model accepts. */
    int contextLength();

    /** The parameters' dtype (float32 for training, float64 in gradient checks). */
    DataType dtype();

    /** ids (B, T) integer, attentionMask (B, T) or null → final hidden states (B, T, C), after the final norm. */
    Tensor hidden(INDArray ids, INDArray attentionMask);

    /** hidden (B, T, C) → logits (B, T, V). */
    Tensor logits(Tensor hidden);

    /** ids (B, T) of an unpadded (or right-padded) batch → logits (B, T, V). */
    default Tensor forward(INDArray ids) {
        return forward(ids, null);
    }

    /** ids (B, T), attentionMask (B, T) or null → logits (B, T, V). */
    default Tensor forward(INDArray ids, INDArray attentionMask) {
        return logits(hidden(ids, attentionMask));
    }

    /**
     * ids (B, T), attentionMask (B, T) or null → logits of the last position only, (B, 1, V): all
     * that generation without a cache uses. Only the last position's hidden state goes through the
     * LM head (nanoGPT's {@code lm_head(x[:, [-1], :])}), which for a large vocabulary is most of
     * an uncached step's arithmetic.
     */
    default Tensor lastLogits(INDArray ids, INDArray attentionMask) {
        Tensor h = hidden(ids, attentionMask); // (B, T, C)
        long t = h.size(1);
        return logits(h.slice(1, t - 1, t)); // (B, 1, V)
    }

    /**
     * A fresh incremental decoder (empty cache) for {@code batch} sequences of up to {@code capacity}
     * slots each (prompt, padding and generated tokens).
     */
    Decoder newDecoder(int batch, int capacity);

    /**
     * A new model with the same architecture and an independent copy of the current parameter
     * values (a frozen reference policy, a reward model initialised from the SFT model).
     */
    CausalLm copy();

    /** Incremental decoding over a cache of earlier tokens; no gradient flows into earlier steps. */
    interface Decoder {
        /**
         * Appends ids (B, t) to every sequence and returns the logits at those t positions (B, t, V).
         * The first call usually feeds the (left-padded) prompts, later calls one token each.
         *
         * @param attentionMask (B, t), 1 for real tokens among the new ones, or null when all are real
         */
        Tensor step(INDArray ids, INDArray attentionMask);
    }
}
