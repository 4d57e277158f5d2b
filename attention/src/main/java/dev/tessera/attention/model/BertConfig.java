package dev.tessera.attention.model;

import dev.tessera.attention.PositionEncoding;
import dev.tessera.core.Require;

/**
 * A BERT-style encoder: optional token-type (segment) embeddings, LayerNorm blocks with
 * exact-GELU MLPs, bidirectional attention, and a masked-LM head (dense + GELU + LayerNorm,
 * decoder tied to the word embeddings, with its own bias). BERT itself has learned absolute
 * positions and post-LN blocks ({@link #base()}); {@link #preLnRotary} gives the variant that
 * later encoders use (RoFormer's rotary positions, pre-LN blocks with a final LayerNorm, as in
 * ModernBERT), which trains from scratch in far fewer steps.
 *
 * @param vocabSize V (BERT base uncased: 30522)
 * @param contextLength P (512)
 * @param typeVocabSize token types (2), or 0 for none (RoBERTa-like single segment)
 * @param nEmbd width C (base: 768)
 * @param nLayer blocks (base: 12)
 * @param nHead heads (base: 12)
 * @param intermediateSize MLP width (base: 3072)
 * @param dropout embedding, attention and residual dropout in training (0.1)
 * @param layerNormEps LayerNorm epsilon (1e-12)
 * @param positions {@link PositionEncoding#ABSOLUTE} (BERT: learned {@code position_embeddings}) or
 *     {@link PositionEncoding#ROPE} (rotary, base 10,000, on queries and keys; no position table)
 * @param preNorm pre-LN blocks ({@code x + f(LN(x))}) followed by a final LayerNorm, or BERT's
 *     post-LN ({@code LN(x + f(x))})
 */
public record BertConfig(int vocabSize, int contextLength, int typeVocabSize, int nEmbd, int nLayer, int nHead,
        int intermediateSize, double dropout, double layerNormEps, PositionEncoding positions, boolean preNorm) {

    /** BERT's own layout: learned absolute positions, post-LN blocks. */
    public BertConfig(int vocabSize, int contextLength, int typeVocabSize, int nEmbd, int nLayer, int nHead,
            int intermediateSize, double dropout, double layerNormEps) {
        this(vocabSize, contextLength, typeVocabSize, nEmbd, nLayer, nHead, intermediateSize, dropout, layerNormEps,
                PositionEncoding.ABSOLUTE, false);
    }

    public BertConfig {
        Require.positive("vocabSize", vocabSize);
        Require.positive("contextLength", contextLength);
        Require.positive("nEmbd", nEmbd);
        Require.positive("nLayer", nLayer);
        Require.positive("nHead", nHead);
        Require.positive("intermediateSize", intermediateSize);
        if (typeVocabSize < 0) {
            throw new IllegalArgumentException("typeVocabSize must be >= 0 (0 = no token types) but was " + typeVocabSize);
        }
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("nEmbd (" + nEmbd + ") must be divisible by nHead (" + nHead + ")");
        }
        Require.inHalfOpen("dropout", dropout, 0, 1);
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layerNormEps must be > 0 (BERT: 1e-12) but was " + layerNormEps);
        }
        if (positions != PositionEncoding.ABSOLUTE && positions != PositionEncoding.ROPE) {
            throw new IllegalArgumentException("positions must be ABSOLUTE or ROPE but was " + positions);
        }
        if (positions == PositionEncoding.ROPE && (nEmbd / nHead) % 2 != 0) {
            throw new IllegalArgumentException("rotary positions need an even head size but nEmbd / nHead was "
                    + nEmbd / nHead);
        }
    }

    /**
     * A single-segment encoder with rotary positions and pre-LN blocks (MLP 4C wide, LayerNorm eps
     * 1e-5), the layout a small model trained from scratch learns context fastest with. Typical for
     * a CPU run: {@code preLnRotary(1024, 64, 128, 2, 4, 0.0)}.
     */
    public static BertConfig preLnRotary(int vocabSize, int contextLength, int nEmbd, int nLayer, int nHead,
            double dropout) {
        return new BertConfig(vocabSize, contextLength, 0, nEmbd, nLayer, nHead, 4 * nEmbd, dropout, 1e-5,
                PositionEncoding.ROPE, true);
    }

    /** BERT base (110M). */
    public static BertConfig base() {
        return new BertConfig(30522, 512, 2, 768, 12, 12, 3072, 0.1, 1e-12);
    }

    /** BERT large (340M). */
    public static BertConfig large() {
        return new BertConfig(30522, 512, 2, 1024, 24, 16, 4096, 0.1, 1e-12);
    }

    /** A tiny model for tests: V 64, P 32, 2 token types, C 16, 2 layers, 2 heads, MLP 32, no dropout. */
    public static BertConfig tiny() {
        return new BertConfig(64, 32, 2, 16, 2, 2, 32, 0.0, 1e-12);
    }
}
