package dev.tessera.rlhf.model;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Module;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A {@link CausalLm} that is another model run in some setting: it answers the model's sizes and
 * module as they are, and runs each of the model's computations (hidden states, logits, forward,
 * decoder steps) through {@link #run}, which sets the setting up around the call. {@link LoraLm}
 * runs them as they are; its {@link LoraLm#base() base()} runs them with the adapters switched off.
 */
abstract class DelegatingLm implements CausalLm {
    /** The model whose weights and code do the work. */
    protected final CausalLm model;

    DelegatingLm(CausalLm model) {
        if (model == null) {
            throw new IllegalArgumentException("DelegatingLm: model must not be null");
        }
        this.model = model;
    }

    /** Runs one of the model's computations in this wrapper's setting and returns its result. */
    protected abstract Tensor run(Supplier<Tensor> computation);

    @Override
    public final Module module() {
        return model.module();
    }

    @Override
    public final DataType dtype() {
        return model.dtype();
    }

    @Override
    public final int vocabSize() {
        return model.vocabSize();
    }

    @Override
    public final int hiddenSize() {
        return model.hiddenSize();
    }

    @Override
    public final int contextLength() {
        return model.contextLength();
    }

    @Override
    public final Tensor hidden(INDArray ids, INDArray attentionMask) {
        return run(() -> model.hidden(ids, attentionMask));
    }

    @Override
    public final Tensor logits(Tensor hidden) {
        return run(() -> model.logits(hidden));
    }

    /** The model's own forward (not this interface's default), so its optimisations apply. */
    @Override
    public final Tensor forward(INDArray ids, INDArray attentionMask) {
        return run(() -> model.forward(ids, attentionMask));
    }

    /** The model's own last-position logits (not this interface's default), so its optimisations apply. */
    @Override
    public final Tensor lastLogits(INDArray ids, INDArray attentionMask) {
        return run(() -> model.lastLogits(ids, attentionMask));
    }

    /** The model's decoder, each of whose steps runs in this wrapper's setting. */
    @Override
    public final Decoder newDecoder(int batch, int capacity) {
        Decoder d = model.newDecoder(batch, capacity);
        return (ids, attentionMask) -> run(() -> d.step(ids, attentionMask));
    }
}
