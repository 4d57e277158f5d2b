package dev.tessera.attention.model;

import dev.tessera.core.Require;

/**
 * A GPT-2-style decoder: learned absolute positions, pre-LN LayerNorm blocks with GELU-tanh MLPs
 * 4C wide, MHA with fused QKV, biases everywhere, LM head tied to the token embedding.
 *
 * @param vocabSize V (GPT-2: 50257)
 * @param contextLength maximum sequence length P (GPT-2: 1024)
 * @param nEmbd width C, divisible by nHead (GPT-2 small: 768)
 * @param nLayer blocks (GPT-2 small: 12)
 * @param nHead heads (GPT-2 small: 12)
 * @param dropout embedding, attention and residual dropout in training (GPT-2: 0.1)
 * @param layerNormEps LayerNorm epsilon (GPT-2: 1e-5)
 */
public record GptConfig(int vocabSize, int contextLength, int nEmbd, int nLayer, int nHead, double dropout,
        double layerNormEps) {

    public GptConfig {
        Require.positive("vocabSize", vocabSize);
        Require.positive("contextLength", contextLength);
        Require.positive("nEmbd", nEmbd);
        Require.positive("nLayer", nLayer);
        Require.positive("nHead", nHead);
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("nEmbd (" + nEmbd + ") must be divisible by nHead (" + nHead + ")");
        }
        Require.inHalfOpen("dropout", dropout, 0, 1);
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layerNormEps must be > 0 (GPT-2: 1e-5) but was " + layerNormEps);
        }
    }

    /** GPT-2 small, 124M parameters. */
    public static GptConfig gpt2Small() {
        return new GptConfig(50257, 1024, 768, 12, 12, 0.1, 1e-5);
    }

    /** GPT-2 medium, 350M. */
    public static GptConfig gpt2Medium() {
        return new GptConfig(50257, 1024, 1024, 24, 16, 0.1, 1e-5);
    }

    /** GPT-2 large, 774M. */
    public static GptConfig gpt2Large() {
        return new GptConfig(50257, 1024, 1280, 36, 20, 0.1, 1e-5);
    }

    /** GPT-2 XL, 1.5B. */
    public static GptConfig gpt2Xl() {
        return new GptConfig(50257, 1024, 1600, 48, 25, 0.1, 1e-5);
    }

    /** A tiny model for tests: V 64, P 32, C 16, 2 layers, 2 heads, no dropout. */
    public static GptConfig tiny() {
        return new GptConfig(64, 32, 16, 2, 2, 0.0, 1e-5);
    }

    /** A small model for quick training runs: V 8192, P 256, C 256, 4 layers, 4 heads. */
    public static GptConfig small() {
        return new GptConfig(8192, 256, 256, 4, 4, 0.0, 1e-5);
    }

    public GptConfig withDropout(double p) {
        return new GptConfig(vocabSize, contextLength, nEmbd, nLayer, nHead, p, layerNormEps);
    }
}
