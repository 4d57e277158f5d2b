package dev.tessera.attention.model;

import dev.tessera.attention.AttentionConfig;
import dev.tessera.attention.BlockConfig;
import dev.tessera.attention.Blocks;
import dev.tessera.attention.GptDecodeStep;
import dev.tessera.attention.KvCache;
import dev.tessera.attention.MlpKind;
import dev.tessera.attention.NormKind;
import dev.tessera.attention.TransformerBlock;
import dev.tessera.core.MatMul;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.DropoutLayer;
import dev.tessera.nn.Embedding;
import dev.tessera.nn.LayerNorm;
import dev.tessera.nn.Linear;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * GPT-2: {@code wte} (V, C), {@code wpe} (P, C), blocks {@code h.0 .. h.{L-1}}, {@code ln_f}; the
 * LM head is {@code wte}ᵀ (tied). Parameter names are the Hugging Face {@code GPT2Model} names, so
 * {@link Gpt2Weights} reads and writes HF checkpoints as they are. Initialisation as GPT-2:
 * N(0, 0.02²), positions N(0, 0.01²), residual projections N(0, (0.02/sqrt(2L))²).
 */
public final class GptModel extends DecoderModel {
    private final GptConfig config;
    private final Embedding wte; // (V, C)
    private final Embedding wpe; // (P, C)
    private final DropoutLayer drop;
    private final Blocks h;
    private final LayerNorm lnF;
    private GptDecodeStep decodeStep; // built on first use (after every parameter is registered)

    public GptModel(GptConfig config, Rng rng, DataType dtype) {
        super(dtype, config.vocabSize(), config.nEmbd(), config.contextLength());
        this.config = config;
        int c = config.nEmbd();
        wte = registerModule("wte", new Embedding(config.vocabSize(), c, 0.02, rng, dtype));
        wpe = registerModule("wpe", new Embedding(config.contextLength(), c, 0.01, rng, dtype));
        drop = registerModule("drop", new DropoutLayer(config.dropout(), rng.fork()));
        BlockConfig block = blockConfig(config);
        List<TransformerBlock> layers = new ArrayList<>();
        for (int i = 0; i < config.nLayer(); i++) {
            layers.add(new TransformerBlock(block, i, config.nLayer(), rng, dtype));
        }
        h = registerModule("h", new Blocks(layers));
        lnF = registerModule("ln_f", new LayerNorm(c, config.layerNormEps(), dtype));
    }

    /** The block configuration GPT-2 uses. */
    public static BlockConfig blockConfig(GptConfig c) {
        return new BlockConfig(AttentionConfig.gpt2(c.nEmbd(), c.nHead(), c.dropout()), NormKind.LAYER_NORM,
                c.layerNormEps(), true, MlpKind.GELU_TANH, 4 * c.nEmbd(), true, c.dropout());
    }

    /**
     * Incremental forward. Decode steps (ids (B, 1), no mask, no gradient recording, no dropout,
     * float32/float64 on the CPU) take {@link GptDecodeStep}'s allocation-free path, which gives
     * the same logits as the general path to rounding; everything else takes the general path.
     */
    @Override
    public Tensor forward(INDArray ids, INDArray attentionMask, KvCache cache) {
        if (decodeStep == null) {
            decodeStep = new GptDecodeStep(namedParameters(), blockConfig(config), config.nLayer(), config.vocabSize(),
                    config.contextLength(), dtype);
        }
        boolean dropoutActive = isTraining() && config.dropout() > 0;
        // active LoRA adapters live in the Linear layers, which the fast path bypasses
        if (decodeStep.applies(ids, attentionMask, cache, dropoutActive) && !Linear.anyActiveAdapter(this)) {
            return decodeStep.forward(ids, cache); // (B, 1, V)
        }
        return super.forward(ids, attentionMask, cache);
    }

    @Override
    protected Tensor embed(INDArray ids, INDArray positions) {
        long maxPos = positions.maxNumber().longValue();
        if (maxPos >= config.contextLength()) {
            throw new IllegalArgumentException("positions up to " + maxPos + " exceed the model's contextLength "
                    + config.contextLength() + " (sequence or cache too long)");
        }
        return drop.forward(wte.forward(ids).add(wpe.forward(positions))); // (B, T, C)
    }

    @Override
    protected Blocks blocks() {
        return h;
    }

    @Override
    protected Tensor finalNorm(Tensor x) {
        return lnF.forward(x);
    }

    /** hidden (B, T, C) · wteᵀ → (B, T, V). */
    @Override
    public Tensor logits(Tensor hidden) {
        return MatMul.matmul(hidden, wte.weight().transpose(0, 1));
    }

    @Override
    protected int[] cacheDims() {
        return new int[] {config.nLayer(), config.nHead(), config.nEmbd() / config.nHead()};
    }

    public GptConfig config() {
        return config;
    }

    /** The token embedding (also the LM head). */
    public Embedding tokenEmbedding() {
        return wte;
    }

    @Override
    public GptModel newInstance(Rng rng) {
        return new GptModel(config, rng, dtype);
    }
}
