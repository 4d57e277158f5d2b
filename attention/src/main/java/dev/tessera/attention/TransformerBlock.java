package dev.tessera.attention;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.DropoutLayer;
import dev.tessera.nn.LayerNorm;
import dev.tessera.nn.Module;
import dev.tessera.nn.RmsNorm;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Attention and feed-forward sublayers with residual connections, pre-LN
 * ({@code x + drop(attn(ln_1(x)))}, then {@code x + drop(mlp(ln_2(x)))}; GPT-2, Llama) or post-LN
 * ({@code ln_1(x + drop(attn(x)))}, then {@code ln_2(x + drop(mlp(x)))}; BERT, the original
 * transformer). Children: {@code ln_1}, {@code attn}, {@code ln_2}, {@code mlp}, GPT-2's names.
 */
public final class TransformerBlock extends Module {
    private final BlockConfig config;
    private final Module ln1;
    private final MultiHeadAttention attn;
    private final Module ln2;
    private final Mlp mlp;
    private final DropoutLayer drop;

    public TransformerBlock(BlockConfig config, int layer, int nLayer, Rng rng, DataType dtype) {
        this.config = config;
        int c = config.attention().nEmbd();
        ln1 = registerModule("ln_1", norm(config, c, dtype));
        attn = registerModule("attn", new MultiHeadAttention(config.attention(), layer, nLayer, rng, dtype));
        ln2 = registerModule("ln_2", norm(config, c, dtype));
        mlp = registerModule("mlp", new Mlp(c, config.mlpHidden(), config.mlp(), config.mlpBias(), nLayer, rng, dtype));
        drop = registerModule("drop", new DropoutLayer(config.residDropout(), rng.fork()));
    }

    private static Module norm(BlockConfig config, int c, DataType dtype) {
        return config.norm() == NormKind.LAYER_NORM ? new LayerNorm(c, config.normEps(), dtype)
                : new RmsNorm(c, config.normEps(), dtype);
    }

    static Tensor applyNorm(Module norm, Tensor x) {
        return norm instanceof LayerNorm ln ? ln.forward(x) : ((RmsNorm) norm).forward(x);
    }

    /** x (B, T, C) → (B, T, C). */
    public Tensor forward(Tensor x, AttentionContext ctx) {
        if (config.preNorm()) {
            x = x.add(drop.forward(attn.forward(applyNorm(ln1, x), ctx)));
            return x.add(drop.forward(mlp.forward(applyNorm(ln2, x))));
        }
        x = applyNorm(ln1, x.add(drop.forward(attn.forward(x, ctx))));
        return applyNorm(ln2, x.add(drop.forward(mlp.forward(x))));
    }

    public BlockConfig config() {
        return config;
    }
}
