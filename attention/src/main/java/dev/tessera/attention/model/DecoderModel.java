package dev.tessera.attention.model;

import dev.tessera.attention.AttentionContext;
import dev.tessera.attention.Blocks;
import dev.tessera.attention.KvCache;
import dev.tessera.attention.PositionIds;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Module;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A decoder-only language model: embeddings, a stack of causal transformer blocks, a final norm
 * and an LM head. Subclasses ({@link GptModel}, {@link LlamaModel}) supply the embeddings, the
 * final norm and the head.
 *
 * <p>As a {@link CausalLm}, its incremental {@link CausalLm.Decoder} is a {@link KvCache} driven
 * through {@link #forward(INDArray, INDArray, KvCache)}.
 *
 * <p>Padded batches: every entry point takes an optional attention mask (B, T), 1 for real
 * tokens. Padding may be on the left (batched generation) or on the right (reward scoring);
 * positions count real tokens only ({@link PositionIds}), and padded keys are never attended, so
 * each sequence gets exactly the hidden states and logits it would get alone. Outputs at padded
 * positions are finite but meaningless.
 *
 * <pre>{@code
 * Tensor logits = model.forward(ids);                     // (B, T, V)
 * Tensor h = model.hidden(ids, mask);                     // (B, T, C), e.g. for a value head
 * KvCache cache = model.newCache(B, 256);
 * Tensor first = model.forward(promptIds, promptMask, cache); // (B, Tp, V)
 * Tensor next = model.forward(nextIds, null, cache);          // (B, 1, V)
 * }</pre>
 */
public abstract class DecoderModel extends Module implements CausalLm {
    protected final DataType dtype;
    private final int vocabSize;
    private final int hiddenSize;
    private final int contextLength;

    /**
     * @param vocabSize V
     * @param hiddenSize C
     * @param contextLength the longest sequence the model accepts (its position table or RoPE range)
     */
    protected DecoderModel(DataType dtype, int vocabSize, int hiddenSize, int contextLength) {
        this.dtype = dtype;
        this.vocabSize = vocabSize;
        this.hiddenSize = hiddenSize;
        this.contextLength = contextLength;
    }

    /** Token (and, for GPT-2, position) embeddings: ids (B, T), positions (B, T) → (B, T, C). */
    protected abstract Tensor embed(INDArray ids, INDArray positions);

    /** The block stack. */
    protected abstract Blocks blocks();

    /** The final norm: (B, T, C) → (B, T, C). */
    protected abstract Tensor finalNorm(Tensor x);

    /** The LM head: hidden states (B, T, C) → logits (B, T, V). */
    @Override
    public abstract Tensor logits(Tensor hidden);

    /** Layers, key/value heads and head size, for {@link #newCache}. */
    protected abstract int[] cacheDims();

    /** This model: it owns its parameters. */
    @Override
    public final Module module() {
        return this;
    }

    /** V, the vocabulary size. */
    @Override
    public final int vocabSize() {
        return vocabSize;
    }

    /** C, the width of the hidden states. */
    @Override
    public final int hiddenSize() {
        return hiddenSize;
    }

    /** The longest sequence (prompt plus generated tokens) the model accepts. */
    @Override
    public final int contextLength() {
        return contextLength;
    }

    /**
     * A new model of the same configuration and data type with fresh parameters drawn from
     * {@code rng}: with {@link #loadStateDict} it makes an independent copy.
     */
    public abstract DecoderModel newInstance(Rng rng);

    /**
     * An independent copy: {@link #newInstance} with this model's parameter values and train/eval
     * mode.
     */
    @Override
    public DecoderModel copy() {
        DecoderModel c = newInstance(new Rng(0));
        c.loadStateDict(stateDict(), true);
        c.train(isTraining());
        return c;
    }

    /** A decoder over a fresh {@link #newCache}: each step is {@link #forward(INDArray, INDArray, KvCache)}. */
    @Override
    public CausalLm.Decoder newDecoder(int batch, int capacity) {
        KvCache cache = newCache(batch, capacity);
        return (ids, attentionMask) -> forward(ids, attentionMask, cache);
    }

    /** Logits (B, T, V) of an unpadded batch. */
    @Override
    public Tensor forward(INDArray ids) {
        return forward(ids, null);
    }

    /** Logits (B, T, V); {@code attentionMask} (B, T) or null. */
    @Override
    public Tensor forward(INDArray ids, INDArray attentionMask) {
        return logits(hidden(ids, attentionMask));
    }

    /** Final hidden states (B, T, C), after the final norm; {@code attentionMask} (B, T) or null. */
    @Override
    public Tensor hidden(INDArray ids, INDArray attentionMask) {
        int[] bt = checkIds(ids);
        INDArray positions = PositionIds.fromMask(attentionMask, bt[0], bt[1], null); // (B, T)
        AttentionContext ctx = new AttentionContext(positions, attentionMask, null, 0);
        return finalNorm(blocks().forward(embed(ids, positions), ctx));
    }

    /**
     * Incremental forward: appends ids (B, T) to {@code cache} and returns their logits (B, T, V).
     * {@code attentionMask} (B, T) marks real tokens among the new ones (null: all real).
     */
    public Tensor forward(INDArray ids, INDArray attentionMask, KvCache cache) {
        return logits(hidden(ids, attentionMask, cache));
    }

    /** Incremental hidden states (B, T, C); see {@link #forward(INDArray, INDArray, KvCache)}. */
    public Tensor hidden(INDArray ids, INDArray attentionMask, KvCache cache) {
        int[] bt = checkIds(ids);
        if (cache == null) {
            throw new IllegalArgumentException("cache must not be null (use hidden(ids, mask) without a cache)");
        }
        if (cache.batch() != bt[0]) {
            throw new IllegalArgumentException("cache was made for batch " + cache.batch() + " but ids have batch " + bt[0]);
        }
        KvCache.Step step = cache.begin(attentionMask, bt[1]);
        try {
            AttentionContext ctx = new AttentionContext(step.positions(), step.keyPadding(), cache, step.offset());
            Tensor h = finalNorm(blocks().forward(embed(ids, step.positions()), ctx));
            cache.commit(attentionMask);
            return h;
        } catch (RuntimeException e) {
            cache.rollback();
            throw e;
        }
    }

    /** An empty cache for {@code batch} sequences of up to {@code capacity} slots (prompt + generated). */
    public KvCache newCache(int batch, int capacity) {
        int[] d = cacheDims();
        return new KvCache(d[0], batch, d[1], d[2], capacity, dtype);
    }

    @Override
    public DataType dtype() {
        return dtype;
    }

    private static int[] checkIds(INDArray ids) {
        if (ids == null || ids.rank() != 2) {
            throw new IllegalArgumentException("ids must be (B, T) but was "
                    + (ids == null ? "null" : Arrays.toString(ids.shape())));
        }
        if (ids.size(0) == 0 || ids.size(1) == 0) {
            throw new IllegalArgumentException("ids must not be empty but has shape " + Arrays.toString(ids.shape()));
        }
        if (ids.dataType().isFPType()) {
            throw new IllegalArgumentException("ids must have an integer dtype but has " + ids.dataType());
        }
        return new int[] {(int) ids.size(0), (int) ids.size(1)};
    }
}
