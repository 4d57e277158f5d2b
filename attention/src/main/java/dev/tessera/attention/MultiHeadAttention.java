package dev.tessera.attention;

import dev.tessera.core.Rng;
import dev.tessera.core.ShapeOps;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Init;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Multi-head (MHA), multi-query (MQA) and grouped-query (GQA) self-attention with RoPE, ALiBi or
 * no positions, sliding windows and a KV cache, over {@link ScaledDotProductAttention}.
 *
 * <p>Parameters (weights input-major, as {@link Linear}): fused, {@code c_attn} (C, (H + 2·Hkv)·hs)
 * and {@code c_proj} (C, C), the GPT-2 names; separate, {@code q_proj} (C, H·hs), {@code k_proj}
 * and {@code v_proj} (C, Hkv·hs), {@code o_proj} (C, C), the Llama names.
 */
public final class MultiHeadAttention extends Module {
    private final AttentionConfig config;
    private final int layer; // index in the model (its KV-cache slot)
    private final Linear cAttn; // (C, (H + 2Hkv)·hs) or null
    private final Linear qProj; // (C, H·hs) or null
    private final Linear kProj; // (C, Hkv·hs) or null
    private final Linear vProj; // (C, Hkv·hs) or null
    private final Linear outProj; // (C, C)
    private final double[] alibi; // (H) or null
    private final Rng dropoutRng;

    /**
     * @param layer the layer index (KV-cache slot)
     * @param nLayer the model depth, for GPT-2's scaled init of the output projection
     */
    public MultiHeadAttention(AttentionConfig config, int layer, int nLayer, Rng rng, DataType dtype) {
        this.config = config;
        this.layer = layer;
        int c = config.nEmbd();
        int hs = config.headSize();
        int kv = config.nKvHead() * hs;
        boolean qkvBias = config.bias() || config.qkvBias();
        if (config.fusedQkv()) {
            cAttn = registerModule("c_attn", new Linear(c, c + 2L * kv, qkvBias, rng, dtype));
            qProj = kProj = vProj = null;
        } else {
            cAttn = null;
            qProj = registerModule("q_proj", new Linear(c, c, qkvBias, rng, dtype));
            kProj = registerModule("k_proj", new Linear(c, kv, qkvBias, rng, dtype));
            vProj = registerModule("v_proj", new Linear(c, kv, qkvBias, rng, dtype));
        }
        Parameter w = new Parameter(Init.gpt2Residual(rng, dtype, nLayer, c, c));
        Parameter b = config.bias() ? new Parameter(Nd4j.zeros(dtype, c)) : null;
        outProj = registerModule(config.fusedQkv() ? "c_proj" : "o_proj", new Linear(w, b));
        alibi = config.positions() == PositionEncoding.ALIBI ? Alibi.slopes(config.nHead()) : null;
        dropoutRng = registerRng("dropout_rng", rng.fork()); // saved in checkpoints via Module.namedRngs
    }

    /** x (B, T, C) → (B, T, C). */
    public Tensor forward(Tensor x, AttentionContext ctx) {
        long b = x.size(0);
        long t = x.size(1);
        int h = config.nHead();
        int hkv = config.nKvHead();
        int hs = config.headSize();
        Tensor q;
        Tensor k;
        Tensor v;
        if (cAttn != null) {
            Tensor qkv = cAttn.forward(x); // (B, T, (H + 2Hkv)·hs)
            if (decodesInPlace(ctx, qkv)) {
                double[] rows = CachedAttention.doubles(qkv.data()); // (B·T, (H + 2Hkv)·hs)
                int w = (h + 2 * hkv) * hs;
                return outProj.forward(Tensor.constant(CachedAttention.forward(ctx.cache(), layer,
                        new CachedAttention.Rows(rows, w, 0), new CachedAttention.Rows(rows, w, h * hs),
                        new CachedAttention.Rows(rows, w, (h + hkv) * hs), h, scale(), config.window())));
            }
            if (readsFusedInPlace(ctx)) {
                // q, k and v read from qkv where they lie, the output written as (B, T, C): no copies
                return outProj.forward(FusedAttention.attentionFused(qkv, h, hkv, options(ctx))); // (B, T, C)
            }
            List<Tensor> parts = ShapeOps.split(qkv, 2, (long) h * hs, (long) hkv * hs, (long) hkv * hs);
            q = parts.get(0); // (B, T, H·hs)
            k = parts.get(1); // (B, T, Hkv·hs)
            v = parts.get(2);
        } else {
            q = qProj.forward(x);
            k = kProj.forward(x);
            v = vProj.forward(x);
            if (decodesInPlace(ctx, q) && !k.requiresGrad() && !v.requiresGrad()) {
                return outProj.forward(Tensor.constant(CachedAttention.forward(ctx.cache(), layer,
                        new CachedAttention.Rows(CachedAttention.doubles(q.data()), h * hs, 0),
                        new CachedAttention.Rows(CachedAttention.doubles(k.data()), hkv * hs, 0),
                        new CachedAttention.Rows(CachedAttention.doubles(v.data()), hkv * hs, 0),
                        h, scale(), config.window())));
            }
        }
        q = q.reshape(b, t, h, hs).transpose(1, 2); // (B, H, T, hs)
        k = k.reshape(b, t, hkv, hs).transpose(1, 2); // (B, Hkv, T, hs)
        v = v.reshape(b, t, hkv, hs).transpose(1, 2); // (B, Hkv, T, hs)
        if (config.positions() == PositionEncoding.ROPE) {
            q = Rope.apply(q, ctx.positions(), config.rope());
            k = Rope.apply(k, ctx.positions(), config.rope());
        }
        if (ctx.cache() != null) {
            var kvAll = ctx.cache().update(layer, k.data(), v.data());
            k = Tensor.constant(kvAll[0]); // (B, Hkv, used + T, hs)
            v = Tensor.constant(kvAll[1]);
        }
        Tensor y = ScaledDotProductAttention.attention(q, k, v, options(ctx)); // (B, H, T, hs)
        y = y.transpose(1, 2).reshape(b, t, (long) h * hs); // (B, T, C)
        return outProj.forward(y);
    }

    private AttentionOptions options(AttentionContext ctx) {
        return new AttentionOptions(Double.NaN, config.causal(), ctx.causalOffset(), config.window(),
                null, ctx.keyPadding(), alibi, null, isTraining() ? config.attnDropout() : 0.0, dropoutRng);
    }

    /**
     * Whether the fused projection's output goes to {@link FusedAttention#attentionFused} whole: no KV
     * cache (it stores k and v per head), no RoPE (it rotates q and k first), and the fused
     * implementation in effect ({@link ScaledDotProductAttention#defaultImpl}).
     */
    private boolean readsFusedInPlace(AttentionContext ctx) {
        return ctx.cache() == null && config.positions() != PositionEncoding.ROPE
                && ScaledDotProductAttention.defaultImpl() == AttentionImpl.FUSED;
    }

    /**
     * Whether this call may take {@link CachedAttention}'s in-place decode path: a KV-cache call
     * that records no graph (inference; cached keys are constants anyway) on a host-memory cache,
     * with learned or no positions (RoPE rotates q and k first: general path), no ALiBi, causal,
     * and no attention dropout in effect. Everything else takes the general path, which is also
     * the portable one (ND4J ops only).
     */
    private boolean decodesInPlace(AttentionContext ctx, Tensor projected) {
        return ctx.cache() != null && !projected.requiresGrad() && ctx.cache().directAccess()
                && config.positions() != PositionEncoding.ROPE && alibi == null && config.causal()
                && !(isTraining() && config.attnDropout() > 0);
    }

    /** The softmax scale, 1/sqrt(hs) (as {@link AttentionOptions} with scale NaN). */
    private double scale() {
        return 1.0 / Math.sqrt(config.headSize());
    }

    public AttentionConfig config() {
        return config;
    }
}
