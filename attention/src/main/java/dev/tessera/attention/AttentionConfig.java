package dev.tessera.attention;

import dev.tessera.core.Require;

/**
 * Multi-head attention settings. Typical: GPT-2 small 768 wide, 12 heads, fused QKV with bias;
 * Llama 2 7B 4096 wide, 32 heads, separate projections without bias, RoPE base 10,000; Llama 2 70B
 * GQA with 8 key/value heads for 64 query heads.
 *
 * @param nEmbd model width C, divisible by nHead
 * @param nHead query heads H
 * @param nKvHead key/value heads, dividing nHead (= nHead: MHA, 1: MQA, between: GQA)
 * @param fusedQkv one (C, (H + 2·Hkv)·hs) projection (GPT-2's c_attn) instead of q/k/v_proj
 * @param bias whether the projections have biases
 * @param positions position scheme inside attention
 * @param rope RoPE settings (used with {@link PositionEncoding#ROPE}; may be null otherwise)
 * @param window sliding-window size, 0 for full attention (Mistral 7B: 4096)
 * @param causal decoder (true) or encoder (false)
 * @param attnDropout dropout on the attention probabilities in training, in [0, 1)
 * @param qkvBias whether the query, key and value projections have biases even when the output
 *     projection has none (Qwen2); {@code bias} gives all four biases
 */
public record AttentionConfig(int nEmbd, int nHead, int nKvHead, boolean fusedQkv, boolean bias,
        PositionEncoding positions, RopeConfig rope, int window, boolean causal, double attnDropout, boolean qkvBias) {

    public AttentionConfig {
        if (nEmbd <= 0 || nHead <= 0) {
            throw new IllegalArgumentException("nEmbd and nHead must be > 0 but were " + nEmbd + " and " + nHead);
        }
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("nEmbd (" + nEmbd + ") must be divisible by nHead (" + nHead + ")");
        }
        if (nKvHead <= 0 || nHead % nKvHead != 0) {
            throw new IllegalArgumentException("nKvHead must be > 0 and divide nHead (" + nHead + ") but was " + nKvHead);
        }
        Require.nonNull("positions", positions);
        if (positions == PositionEncoding.ROPE && rope == null) {
            throw new IllegalArgumentException("rope must be set when positions is ROPE");
        }
        if (positions == PositionEncoding.ROPE && (nEmbd / nHead) % 2 != 0) {
            throw new IllegalArgumentException("the head size nEmbd / nHead must be even for RoPE but was " + nEmbd / nHead);
        }
        if (window < 0) {
            throw new IllegalArgumentException("window must be >= 0 (0 = full attention) but was " + window);
        }
        Require.inHalfOpen("attnDropout", attnDropout, 0, 1);
    }

    /** Without separate query/key/value biases ({@code qkvBias} false). */
    public AttentionConfig(int nEmbd, int nHead, int nKvHead, boolean fusedQkv, boolean bias, PositionEncoding positions,
            RopeConfig rope, int window, boolean causal, double attnDropout) {
        this(nEmbd, nHead, nKvHead, fusedQkv, bias, positions, rope, window, causal, attnDropout, false);
    }

    /** GPT-2 style: MHA, fused QKV with bias, learned absolute positions, causal. */
    public static AttentionConfig gpt2(int nEmbd, int nHead, double attnDropout) {
        return new AttentionConfig(nEmbd, nHead, nHead, true, true, PositionEncoding.ABSOLUTE, null, 0, true, attnDropout);
    }

    public int headSize() {
        return nEmbd / nHead;
    }
}
