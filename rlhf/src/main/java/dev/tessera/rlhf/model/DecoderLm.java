package dev.tessera.rlhf.model;

import dev.tessera.attention.KvCache;
import dev.tessera.attention.model.DecoderModel;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.attention.model.LlamaConfig;
import dev.tessera.attention.model.LlamaModel;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Module;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link CausalLm} over one of the attention module's decoders ({@link GptModel},
 * {@link LlamaModel}); decoding uses the model's {@link KvCache}. Batches are right-padded and
 * unmasked (see {@link CausalLm}).
 */
public final class DecoderLm implements CausalLm {
    private final DecoderModel model;

    public DecoderLm(DecoderModel model) {
        if (model == null) {
            throw new IllegalArgumentException("DecoderLm: model must not be null");
        }
        this.model = model;
    }

    /** A freshly initialised GPT-2-style model. */
    public static DecoderLm gpt(GptConfig config, Rng rng, DataType dtype) {
        return new DecoderLm(new GptModel(config, rng, dtype));
    }

    /** A freshly initialised Llama-style model (rotary positions, RmsNorm, SwiGLU). */
    public static DecoderLm llama(LlamaConfig config, Rng rng, DataType dtype) {
        return new DecoderLm(new LlamaModel(config, rng, dtype));
    }

    /** The wrapped decoder. */
    public DecoderModel model() {
        return model;
    }

    @Override
    public Module module() {
        return model;
    }

    @Override
    public DataType dtype() {
        return model.dtype();
    }

    @Override
    public int vocabSize() {
        return model.vocabSize();
    }

    @Override
    public int hiddenSize() {
        return model.hiddenSize();
    }

    @Override
    public int contextLength() {
        return model.contextLength();
    }

    @Override
    public Tensor hidden(INDArray ids) {
        return model.hidden(ids, null);
    }

    @Override
    public Tensor logits(Tensor hidden) {
        return model.logits(hidden);
    }

    @Override
    public Decoder decoder(int batch) {
        KvCache cache = model.newCache(batch, model.contextLength());
        return new Decoder() {
            private int length;

            @Override
            public Tensor feed(INDArray ids) {
                Tensor logits = model.forward(ids, null, cache); // (B, n, V)
                length += (int) ids.size(1);
                return logits;
            }

            @Override
            public int length() {
                return length;
            }
        };
    }

    @Override
    public DecoderLm copy() {
        DecoderModel c = model.newInstance(new Rng(0));
        c.loadStateDict(model.stateDict(), true);
        c.train(model.isTraining());
        return new DecoderLm(c);
    }
}
