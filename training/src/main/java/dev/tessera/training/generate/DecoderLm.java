package dev.tessera.training.generate;

import dev.tessera.attention.KvCache;
import dev.tessera.attention.model.DecoderModel;
import dev.tessera.attention.model.GptModel;
import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The attention module's decoders (GPT-2, Llama) as a {@link CausalLm}, using their {@link KvCache}. */
public final class DecoderLm implements CausalLm {
    private final DecoderModel model;
    private final int vocabSize;
    private final int contextLength;

    public DecoderLm(DecoderModel model, int vocabSize, int contextLength) {
        if (model == null || vocabSize <= 0 || contextLength <= 0) {
            throw new IllegalArgumentException("model must be non-null and vocabSize, contextLength > 0 but were "
                    + vocabSize + ", " + contextLength);
        }
        this.model = model;
        this.vocabSize = vocabSize;
        this.contextLength = contextLength;
    }

    /** A GPT-2 model with its configured vocabulary and positions. */
    public static DecoderLm of(GptModel gpt) {
        return new DecoderLm(gpt, gpt.config().vocabSize(), gpt.config().contextLength());
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public Tensor logits(INDArray ids) {
        return model.forward(ids);
    }

    /** The final hidden states of the last position only go through the LM head. */
    @Override
    public Tensor lastLogits(INDArray ids) {
        Tensor h = model.hidden(ids, null); // (B, T, C)
        long t = h.size(1);
        return model.logits(h.slice(1, t - 1, t)); // (B, 1, V)
    }

    @Override
    public Decoder decoder(int batch, int capacity) {
        KvCache cache = model.newCache(batch, capacity);
        return ids -> model.forward(ids, null, cache);
    }
}
