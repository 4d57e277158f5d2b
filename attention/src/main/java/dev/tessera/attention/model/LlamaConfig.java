package dev.tessera.attention.model;

import dev.tessera.attention.RopeConfig;
import dev.tessera.attention.RopeScaling;
import dev.tessera.core.Require;

/**
 * A Llama-style decoder: RmsNorm pre-norm blocks, RoPE, SwiGLU MLPs, grouped-query attention,
 * no biases (Qwen2: query/key/value biases), an untied LM head (or tied, as small Llama-likes often
 * are), optional sliding window (Mistral).
 *
 * <p>The presets ({@link #llama2_7b()}, {@link #llama3_8b()}, {@link #mistral7b()}) give the
 * published shapes with randomly initialised weights; the published weights themselves load from
 * their Hugging Face directories through {@code dev.tessera.attention.model.hf.HfModels}, which
 * reads the configuration from {@code config.json}.
 *
 * @param vocabSize V (Llama 2: 32000)
 * @param contextLength longest sequence the model is meant for (Llama 2: 4096); caches are checked against it
 * @param nEmbd width C (Llama 2 7B: 4096)
 * @param nLayer blocks (7B: 32)
 * @param nHead query heads (7B: 32)
 * @param nKvHead key/value heads dividing nHead (Llama 2 70B: 8 of 64; Llama 3 8B: 8 of 32)
 * @param intermediateSize SwiGLU width (7B: 11008)
 * @param rmsNormEps RmsNorm epsilon (1e-5 or 1e-6)
 * @param rope rotary settings (Llama 2: base 10,000; Llama 3: 500,000)
 * @param window sliding-window size, 0 for full attention (Mistral 7B: 4096)
 * @param tieEmbeddings whether the LM head is the token embedding transposed
 * @param qkvBias whether the query, key and value projections have biases (Qwen2; the output
 *     projection never has one)
 */
public record LlamaConfig(int vocabSize, int contextLength, int nEmbd, int nLayer, int nHead, int nKvHead,
        int intermediateSize, double rmsNormEps, RopeConfig rope, int window, boolean tieEmbeddings, boolean qkvBias) {

    public LlamaConfig {
        Require.positive("vocabSize", vocabSize);
        Require.positive("contextLength", contextLength);
        Require.positive("nEmbd", nEmbd);
        Require.positive("nLayer", nLayer);
        Require.positive("nHead", nHead);
        Require.positive("nKvHead", nKvHead);
        Require.positive("intermediateSize", intermediateSize);
        if (nEmbd % nHead != 0 || (nEmbd / nHead) % 2 != 0) {
            throw new IllegalArgumentException("nEmbd (" + nEmbd + ") must be divisible by nHead (" + nHead
                    + ") into an even head size for RoPE");
        }
        if (nHead % nKvHead != 0) {
            throw new IllegalArgumentException("nKvHead (" + nKvHead + ") must divide nHead (" + nHead + ")");
        }
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rmsNormEps must be > 0 but was " + rmsNormEps);
        }
        if (rope == null) {
            throw new IllegalArgumentException("rope must not be null (RopeConfig.standard() for Llama 2)");
        }
        if (window < 0) {
            throw new IllegalArgumentException("window must be >= 0 (0 = full attention) but was " + window);
        }
    }

    /** Without query/key/value biases (Llama, Mistral). */
    public LlamaConfig(int vocabSize, int contextLength, int nEmbd, int nLayer, int nHead, int nKvHead,
            int intermediateSize, double rmsNormEps, RopeConfig rope, int window, boolean tieEmbeddings) {
        this(vocabSize, contextLength, nEmbd, nLayer, nHead, nKvHead, intermediateSize, rmsNormEps, rope, window,
                tieEmbeddings, false);
    }

    /** Llama 2 7B. */
    public static LlamaConfig llama2_7b() {
        return new LlamaConfig(32000, 4096, 4096, 32, 32, 32, 11008, 1e-5, RopeConfig.standard(), 0, false);
    }

    /** Llama 3 8B (GQA 8 of 32 heads, RoPE base 500,000). */
    public static LlamaConfig llama3_8b() {
        return new LlamaConfig(128256, 8192, 4096, 32, 32, 8, 14336, 1e-5,
                new RopeConfig(500_000, RopeScaling.NONE, 1), 0, false);
    }

    /** Mistral 7B (GQA 8 of 32, sliding window 4096). */
    public static LlamaConfig mistral7b() {
        return new LlamaConfig(32000, 32768, 4096, 32, 32, 8, 14336, 1e-5, RopeConfig.standard(), 4096, false);
    }

    /** A tiny model for tests: V 64, C 16, 2 layers, 4 heads sharing 2 key/value heads, SwiGLU 32. */
    public static LlamaConfig tiny() {
        return new LlamaConfig(64, 64, 16, 2, 4, 2, 32, 1e-5, RopeConfig.standard(), 0, false);
    }

    public LlamaConfig withWindow(int w) {
        return new LlamaConfig(vocabSize, contextLength, nEmbd, nLayer, nHead, nKvHead, intermediateSize, rmsNormEps,
                rope, w, tieEmbeddings, qkvBias);
    }
}
