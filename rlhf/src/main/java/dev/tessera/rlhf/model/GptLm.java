package dev.tessera.rlhf.model;

import dev.tessera.attention.KVCache;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Module;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link CausalLm} over the attention module's GPT-2 decoder ({@link GptModel}); decoding uses
 * its {@link KVCache}. Batches are right-padded and unmasked (see {@link CausalLm}).
 */
public final class GptLm implements CausalLm {
    private final GptModel model;

    public GptLm(GptModel model) {
        this.model = model;
    }

    /** A freshly initialised GPT-2-style model. */
    public GptLm(GptConfig config, Rng rng, DataType dtype) {
        this(new GptModel(config, rng, dtype));
    }

    public GptModel gpt() {
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
        return model.config().vocabSize();
    }

    @Override
    public int hiddenSize() {
        return model.config().nEmbd();
    }

    @Override
    public int maxSequenceLength() {
        return model.config().nPositions();
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
        KVCache cache = model.newCache(batch, model.config().nPositions());
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
    public GptLm copy() {
        GptModel c = new GptModel(model.config(), new Rng(0), model.dtype());
        c.loadStateDict(model.stateDict(), true);
        c.train(model.isTraining());
        return new GptLm(c);
    }
}
