package dev.tessera.attention;

import dev.tessera.core.Require;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a scaled dot-product attention call masks, biases and drops. Query row {@code i} sits at
 * position {@code qpos = i + causalOffset} in key coordinates (the number of cached keys before
 * the new queries when decoding with a KV cache), and may attend key {@code j} when all of:
 * <ul>
 *   <li>{@code causal}: {@code j <= qpos};</li>
 *   <li>{@code window > 0} (sliding window): {@code qpos - j < window} (and {@code j - qpos < window}
 *       when not causal);</li>
 *   <li>{@code keyLengths != null}: {@code j < keyLengths[b]} (right-padded keys);</li>
 *   <li>{@code keyPadding != null}: {@code keyPadding[b, j] != 0}, a (B, Tk) array with 1 / true for
 *       real keys (left or right padding, gaps in a KV cache).</li>
 * </ul>
 * Scores are {@code scale · q·k + bias[b, h, i, j] - alibiSlopes[h] · |qpos - j|}. A query row with
 * no allowed key yields zeros (and a zero gradient), never NaN; NaN or Inf in keys or values at
 * masked-out padding positions does not reach the output.
 *
 * <p>Typical use: {@code AttentionOptions.causal()} for a decoder, {@code AttentionOptions.none()
 * .withKeyPadding(mask)} for an encoder over a padded batch.
 *
 * @param scale score scale; {@code NaN} means {@code 1/sqrt(D)}
 * @param causal whether keys after the query position are masked
 * @param causalOffset key position of query 0, ≥ 0 (the number of keys already cached)
 * @param window sliding-window size in positions, 0 for none (Mistral uses 4096)
 * @param keyLengths per-batch number of valid keys (keys at or beyond it are masked), or null
 * @param keyPadding (B, Tk) key validity (non-zero = attend), or null
 * @param alibiSlopes ALiBi slope per query head ({@link Alibi#slopes}), or null
 * @param bias additive score bias (B or 1, H, Tq, Tk), may require a gradient, or null
 * @param dropout attention-probability dropout in [0, 1); 0 in eval mode
 * @param rng the source of the dropout mask (required when dropout > 0)
 */
public record AttentionOptions(double scale, boolean causal, long causalOffset, int window, int[] keyLengths,
        INDArray keyPadding, double[] alibiSlopes, Tensor bias, double dropout, Rng rng) {

    public AttentionOptions {
        if (!Double.isNaN(scale) && !(scale > 0 && Double.isFinite(scale))) {
            throw new IllegalArgumentException("scale must be finite and > 0 (or NaN for 1/sqrt(D)), but was " + scale);
        }
        if (causalOffset < 0) {
            throw new IllegalArgumentException("causalOffset must be >= 0 (keys cached before the queries), but was "
                    + causalOffset);
        }
        if (window < 0) {
            throw new IllegalArgumentException("window must be >= 0 (0 = no sliding window), but was " + window);
        }
        if (keyLengths != null) {
            for (int i = 0; i < keyLengths.length; i++) {
                if (keyLengths[i] < 0) {
                    throw new IllegalArgumentException("keyLengths[" + i + "] must be >= 0 but was " + keyLengths[i]);
                }
            }
        }
        if (keyPadding != null && keyPadding.rank() != 2) {
            throw new IllegalArgumentException("keyPadding must be (B, Tk) but has shape "
                    + Arrays.toString(keyPadding.shape()));
        }
        Require.inHalfOpen("dropout", dropout, 0, 1);
        if (dropout > 0 && rng == null) {
            throw new IllegalArgumentException("rng must not be null when dropout > 0 (dropout = " + dropout + ")");
        }
        if (bias != null && bias.rank() != 4) {
            throw new IllegalArgumentException("bias must be (B or 1, H, Tq, Tk) but has shape "
                    + Arrays.toString(bias.shape()));
        }
    }

    /** No mask, no bias, no dropout, scale 1/sqrt(D). */
    public static AttentionOptions none() {
        return new AttentionOptions(Double.NaN, false, 0, 0, null, null, null, null, 0.0, null);
    }

    /** A causal mask without offset. */
    public static AttentionOptions causalMask() {
        return none().withCausal(true, 0);
    }

    public AttentionOptions withScale(double s) {
        return new AttentionOptions(s, causal, causalOffset, window, keyLengths, keyPadding, alibiSlopes, bias, dropout, rng);
    }

    public AttentionOptions withCausal(boolean c, long offset) {
        return new AttentionOptions(scale, c, offset, window, keyLengths, keyPadding, alibiSlopes, bias, dropout, rng);
    }

    public AttentionOptions withWindow(int w) {
        return new AttentionOptions(scale, causal, causalOffset, w, keyLengths, keyPadding, alibiSlopes, bias, dropout, rng);
    }

    public AttentionOptions withKeyLengths(int... lengths) {
        return new AttentionOptions(scale, causal, causalOffset, window, lengths, keyPadding, alibiSlopes, bias, dropout, rng);
    }

    public AttentionOptions withKeyPadding(INDArray padding) {
        return new AttentionOptions(scale, causal, causalOffset, window, keyLengths, padding, alibiSlopes, bias, dropout, rng);
    }

    public AttentionOptions withAlibi(double[] slopes) {
        return new AttentionOptions(scale, causal, causalOffset, window, keyLengths, keyPadding, slopes, bias, dropout, rng);
    }

    public AttentionOptions withBias(Tensor b) {
        return new AttentionOptions(scale, causal, causalOffset, window, keyLengths, keyPadding, alibiSlopes, b, dropout, rng);
    }

    public AttentionOptions withDropout(double p, Rng r) {
        return new AttentionOptions(scale, causal, causalOffset, window, keyLengths, keyPadding, alibiSlopes, bias, p, r);
    }

    /** The scale to use for head size {@code d}. */
    double scaleFor(long d) {
        return Double.isNaN(scale) ? 1.0 / Math.sqrt(d) : scale;
    }
}
