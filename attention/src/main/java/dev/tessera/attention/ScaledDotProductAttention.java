package dev.tessera.attention;

import dev.tessera.core.Require;
import dev.tessera.core.Tensor;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code softmax(scale · q kᵀ + bias + mask) v} as one autograd node, for q (B, H, Tq, D) and k, v
 * (B, Hkv, Tk, D / Dv) with H a multiple of Hkv (MHA when equal, MQA when Hkv = 1, GQA between);
 * Tq ≠ Tk for decoding against a KV cache. Masks, ALiBi, bias and dropout are described by
 * {@link AttentionOptions}. Output (B, H, Tq, Dv).
 *
 * <pre>{@code
 * Tensor y = ScaledDotProductAttention.attention(q, k, v, AttentionOptions.causalMask()); // (B, H, T, D)
 * }</pre>
 *
 * <p>The implementation defaults to {@link AttentionImpl#FUSED} on ND4J's CPU backend and to
 * {@link AttentionImpl#PORTABLE} elsewhere; {@code -Dtessera.attention=fused|portable|tiled} or
 * {@link #setDefaultImpl} override it.
 */
public final class ScaledDotProductAttention {
    private static final Logger LOG = LoggerFactory.getLogger(ScaledDotProductAttention.class);
    private static volatile AttentionImpl defaultImpl;

    private ScaledDotProductAttention() {}

    /** The implementation used when none is named. */
    public static AttentionImpl defaultImpl() {
        AttentionImpl d = defaultImpl;
        if (d == null) {
            String prop = System.getProperty("tessera.attention");
            if (prop != null) {
                d = AttentionImpl.valueOf(prop.trim().toUpperCase(Locale.ROOT));
            } else {
                Tensor.zeros(DataType.FLOAT, 1); // loads the backend
                d = Nd4j.getEnvironment().isCPU() ? AttentionImpl.FUSED : AttentionImpl.PORTABLE;
            }
            LOG.debug("default attention implementation: {}", d);
            defaultImpl = d;
        }
        return d;
    }

    /** Sets the implementation used when none is named (null restores the automatic choice). */
    public static void setDefaultImpl(AttentionImpl impl) {
        defaultImpl = impl;
    }

    /** Attention with the default implementation. */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, AttentionOptions options) {
        return attention(q, k, v, options, defaultImpl());
    }

    /** Attention with a named implementation. */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, AttentionOptions options, AttentionImpl impl) {
        return run(q, k, v, options, impl, false).output();
    }

    /** Attention that also returns the probabilities (B, H, Tq, Tk); fused or portable only. */
    public static AttentionResult attentionWithProbabilities(Tensor q, Tensor k, Tensor v, AttentionOptions options,
            AttentionImpl impl) {
        if (impl == AttentionImpl.TILED) {
            throw new IllegalArgumentException("impl: the TILED attention never materialises the probabilities; "
                    + "use FUSED or PORTABLE to get them");
        }
        return run(q, k, v, options, impl, true);
    }

    private static AttentionResult run(Tensor q, Tensor k, Tensor v, AttentionOptions options, AttentionImpl impl,
            boolean probs) {
        if (options == null) {
            throw new IllegalArgumentException("options must not be null (use AttentionOptions.none())");
        }
        Require.nonNull("impl", impl);
        return switch (impl) {
            case FUSED -> FusedAttention.forward(q, k, v, options, probs);
            case PORTABLE -> PortableAttention.forward(q, k, v, options, probs);
            case TILED -> new AttentionResult(TiledAttention.forward(q, k, v, options), null);
        };
    }
}
