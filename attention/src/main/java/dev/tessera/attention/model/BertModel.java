package dev.tessera.attention.model;

import dev.tessera.attention.AttentionConfig;
import dev.tessera.attention.AttentionContext;
import dev.tessera.attention.BlockConfig;
import dev.tessera.attention.Blocks;
import dev.tessera.attention.MlpKind;
import dev.tessera.attention.NormKind;
import dev.tessera.attention.PositionEncoding;
import dev.tessera.attention.PositionIds;
import dev.tessera.attention.RopeConfig;
import dev.tessera.attention.TransformerBlock;
import dev.tessera.core.MatMul;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.DropoutLayer;
import dev.tessera.nn.Embedding;
import dev.tessera.nn.LayerNorm;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A BERT-style encoder with a masked-LM head. Children: {@code word_embeddings} (V, C),
 * {@code position_embeddings} (P, C) with learned absolute positions, {@code token_type_embeddings}
 * (types, C) when configured, {@code emb_ln}, {@code layer.{i}} (blocks with bidirectional
 * attention and {@code q/k/v/o_proj}; post-LN as in BERT, or pre-LN), {@code final_ln} after pre-LN
 * blocks only, and the head {@code mlm_dense} (C, C), {@code mlm_ln}, {@code mlm_bias} (V) with the
 * decoder tied to {@code word_embeddings}. With rotary positions ({@link BertConfig#positions()}
 * ROPE) there is no position table: attention rotates queries and keys by their positions.
 *
 * <pre>{@code
 * Tensor h = bert.encode(ids, mask, null);   // (B, T, C)
 * Tensor logits = bert.mlmLogits(h);         // (B, T, V)
 * }</pre>
 */
public final class BertModel extends Module {
    private final BertConfig config;
    private final Embedding words; // (V, C)
    private final Embedding positions; // (P, C), or null with rotary positions
    private final Embedding types; // (types, C) or null
    private final LayerNorm embLn;
    private final DropoutLayer drop;
    private final Blocks layer;
    private final LayerNorm finalLn; // null for post-LN blocks, which end in a LayerNorm already
    private final Linear mlmDense; // (C, C)
    private final LayerNorm mlmLn;
    private final Parameter mlmBias; // (V)

    public BertModel(BertConfig config, Rng rng, DataType dtype) {
        this.config = config;
        int c = config.nEmbd();
        words = registerModule("word_embeddings", new Embedding(config.vocabSize(), c, 0.02, rng, dtype));
        positions = config.positions() == PositionEncoding.ABSOLUTE
                ? registerModule("position_embeddings", new Embedding(config.contextLength(), c, 0.02, rng, dtype))
                : null;
        types = config.typeVocabSize() > 0
                ? registerModule("token_type_embeddings", new Embedding(config.typeVocabSize(), c, 0.02, rng, dtype))
                : null;
        embLn = registerModule("emb_ln", new LayerNorm(c, config.layerNormEps(), dtype));
        drop = registerModule("drop", new DropoutLayer(config.dropout(), rng.fork()));
        BlockConfig block = blockConfig(config);
        List<TransformerBlock> list = new ArrayList<>();
        for (int i = 0; i < config.nLayer(); i++) {
            list.add(new TransformerBlock(block, i, config.nLayer(), rng, dtype));
        }
        layer = registerModule("layer", new Blocks(list));
        // pre-LN blocks leave the residual stream un-normalised; the head expects normalised states
        finalLn = config.preNorm() ? registerModule("final_ln", new LayerNorm(c, config.layerNormEps(), dtype)) : null;
        mlmDense = registerModule("mlm_dense", new Linear(c, c, true, rng, dtype));
        mlmLn = registerModule("mlm_ln", new LayerNorm(c, config.layerNormEps(), dtype));
        mlmBias = registerParameter("mlm_bias", new Parameter(Nd4j.zeros(dtype, config.vocabSize())));
    }

    /**
     * LayerNorm blocks (post-LN, or pre-LN when configured), bidirectional MHA with separate biased
     * projections (rotary, base 10,000, when configured), exact GELU.
     */
    public static BlockConfig blockConfig(BertConfig c) {
        boolean rope = c.positions() == PositionEncoding.ROPE;
        AttentionConfig attn = new AttentionConfig(c.nEmbd(), c.nHead(), c.nHead(), false, true, c.positions(),
                rope ? RopeConfig.standard() : null, 0, false, c.dropout());
        return new BlockConfig(attn, NormKind.LAYER_NORM, c.layerNormEps(), c.preNorm(), MlpKind.GELU,
                c.intermediateSize(), true, c.dropout());
    }

    /**
     * Contextual hidden states (B, T, C).
     *
     * @param ids (B, T) token ids
     * @param attentionMask (B, T), 1 for real tokens, or null
     * @param tokenTypes (B, T) segment ids, or null (all 0); must be null without token types
     */
    public Tensor encode(INDArray ids, INDArray attentionMask, INDArray tokenTypes) {
        if (ids == null || ids.rank() != 2 || ids.length() == 0) {
            throw new IllegalArgumentException("ids must be a non-empty (B, T) array but was "
                    + (ids == null ? "null" : Arrays.toString(ids.shape())));
        }
        int b = (int) ids.size(0);
        int t = (int) ids.size(1);
        if (t > config.contextLength()) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds contextLength " + config.contextLength());
        }
        INDArray pos = PositionIds.fromMask(attentionMask, b, t, null); // (B, T)
        Tensor x = words.forward(ids); // (B, T, C)
        if (positions != null) {
            x = x.add(positions.forward(pos));
        }
        if (tokenTypes != null) {
            if (types == null) {
                throw new IllegalArgumentException("tokenTypes given but the model has no token types (typeVocabSize 0)");
            }
            if (!Arrays.equals(tokenTypes.shape(), ids.shape())) {
                throw new IllegalArgumentException("tokenTypes must have ids' shape " + Arrays.toString(ids.shape())
                        + " but has " + Arrays.toString(tokenTypes.shape()));
            }
            x = x.add(types.forward(tokenTypes));
        } else if (types != null) {
            x = x.add(types.forward(Nd4j.zeros(DataType.INT, b, t)));
        }
        x = drop.forward(embLn.forward(x));
        Tensor h = layer.forward(x, new AttentionContext(pos, attentionMask, null, 0)); // (B, T, C)
        return finalLn == null ? h : finalLn.forward(h);
    }

    /** Masked-LM logits (B, T, V) from hidden states: LayerNorm(GELU(dense(h))) · word_embeddingsᵀ + bias. */
    public Tensor mlmLogits(Tensor hidden) {
        Tensor h = mlmLn.forward(mlmDense.forward(hidden).gelu());
        return MatMul.matmul(h, words.weight().transpose(0, 1)).addBroadcast(mlmBias);
    }

    /** Masked-LM logits (B, T, V). */
    public Tensor forward(INDArray ids, INDArray attentionMask, INDArray tokenTypes) {
        return mlmLogits(encode(ids, attentionMask, tokenTypes));
    }

    public BertConfig config() {
        return config;
    }
}
