package dev.tessera.attention.model;

import dev.tessera.attention.AttentionConfig;
import dev.tessera.attention.BlockConfig;
import dev.tessera.attention.Blocks;
import dev.tessera.attention.MlpKind;
import dev.tessera.attention.NormKind;
import dev.tessera.attention.PositionEncoding;
import dev.tessera.attention.TransformerBlock;
import dev.tessera.core.MatMul;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Embedding;
import dev.tessera.nn.Linear;
import dev.tessera.nn.RmsNorm;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A Llama-style decoder: {@code embed_tokens} (V, C), blocks {@code layers.{i}} (RmsNorm, GQA with
 * RoPE, SwiGLU; children {@code ln_1}, {@code attn.{q,k,v,o}_proj} (q/k/v with biases when
 * {@link LlamaConfig#qkvBias()}), {@code ln_2},
 * {@code mlp.{gate,up,down}_proj}), {@code norm}, and {@code lm_head} (C, V) unless tied.
 */
public final class LlamaModel extends DecoderModel {
    private final LlamaConfig config;
    private final Embedding embed; // (V, C)
    private final Blocks layers;
    private final RmsNorm norm;
    private final Linear lmHead; // (C, V) or null when tied

    public LlamaModel(LlamaConfig config, Rng rng, DataType dtype) {
        super(dtype, config.vocabSize(), config.nEmbd(), config.contextLength());
        this.config = config;
        embed = registerModule("embed_tokens", new Embedding(config.vocabSize(), config.nEmbd(), 0.02, rng, dtype));
        BlockConfig block = blockConfig(config);
        List<TransformerBlock> list = new ArrayList<>();
        for (int i = 0; i < config.nLayer(); i++) {
            list.add(new TransformerBlock(block, i, config.nLayer(), rng, dtype));
        }
        layers = registerModule("layers", new Blocks(list));
        norm = registerModule("norm", new RmsNorm(config.nEmbd(), config.rmsNormEps(), dtype));
        lmHead = config.tieEmbeddings() ? null
                : registerModule("lm_head", new Linear(config.nEmbd(), config.vocabSize(), false, rng, dtype));
    }

    /** The block configuration: pre-norm RmsNorm, GQA + RoPE (q/k/v biases only with qkvBias), SwiGLU, no dropout. */
    public static BlockConfig blockConfig(LlamaConfig c) {
        AttentionConfig attn = new AttentionConfig(c.nEmbd(), c.nHead(), c.nKvHead(), false, false,
                PositionEncoding.ROPE, c.rope(), c.window(), true, 0.0, c.qkvBias());
        return new BlockConfig(attn, NormKind.RMS_NORM, c.rmsNormEps(), true, MlpKind.SWIGLU, c.intermediateSize(),
                false, 0.0);
    }

    @Override
    protected Tensor embed(INDArray ids, INDArray positions) {
        long maxPos = positions.maxNumber().longValue();
        if (maxPos >= config.contextLength()) {
            throw new IllegalArgumentException("positions up to " + maxPos + " exceed contextLength " + config.contextLength());
        }
        return embed.forward(ids); // (B, T, C); positions enter through RoPE
    }

    @Override
    protected Blocks blocks() {
        return layers;
    }

    @Override
    protected Tensor finalNorm(Tensor x) {
        return norm.forward(x);
    }

    /** hidden (B, T, C) → logits (B, T, V). */
    @Override
    public Tensor logits(Tensor hidden) {
        return lmHead == null ? MatMul.matmul(hidden, embed.weight().transpose(0, 1)) : lmHead.forward(hidden);
    }

    @Override
    protected int[] cacheDims() {
        return new int[] {config.nLayer(), config.nKvHead(), config.nEmbd() / config.nHead()};
    }

    public LlamaConfig config() {
        return config;
    }

    @Override
    public LlamaModel newInstance(Rng rng) {
        return new LlamaModel(config, rng, dtype);
    }
}
