package dev.tessera.rlhf.pipeline;

import dev.tessera.attention.KVCache;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Module;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The attention module's GPT-2-style {@link GptModel} seen through the RLHF trainers'
 * {@link dev.tessera.rlhf.model.CausalLm} interface. Batches are right-padded and unmasked: a
 * causal model's outputs at a position never depend on later positions, so trailing padding
 * changes nothing for the real tokens (see {@code CausalLm}).
 */
public final class GptLm implements dev.tessera.rlhf.model.CausalLm {
    private final GptModel model;

    public GptLm(GptModel model) {
        if (model == null) {
            throw new IllegalArgumentException("GptLm: model must not be null");
        }
        this.model = model;
    }

    /** A freshly initialised model (GPT-2 initialisation, float32). */
    public static GptLm create(GptConfig config, Rng rng) {
        return new GptLm(new GptModel(config, rng, DataType.FLOAT));
    }

    /** The wrapped model (for saving it, or for the training loop's forward function). */
    public GptModel gpt() {
        return model;
    }

    @Override
    public Module module() {
        return model;
    }

    @Override
    public int vocabSize() {
        return model.config().vocabSize();
    }

    @Override
    public DataType dtype() {
        return model.dtype();
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
        return model.hidden(ids, null); // (B, T, C)
    }

    @Override
    public Tensor logits(Tensor hidden) {
        return model.logits(hidden); // (B, T, V)
    }

    @Override
    public Decoder decoder(int batch) {
        KVCache cache = model.newCache(batch, model.config().nPositions());
        return new Decoder() {
            @Override
            public Tensor feed(INDArray ids) {
                return model.forward(ids, null, cache); // (B, n, V)
            }

            @Override
            public int length() {
                return cache.used();
            }
        };
    }

    @Override
    public GptLm copy() {
        // the initialisation is overwritten at once, so its seed does not matter
        GptModel c = new GptModel(model.config(), new Rng(0), model.dtype());
        c.loadStateDict(model.stateDict(), true);
        return new GptLm(c);
    }
}
