package dev.tessera.attention.model;

/**
 * A BERT-style encoder: learned absolute positions, optional token-type (segment) embeddings,
 * post-LN LayerNorm blocks with exact-GELU MLPs, bidirectional attention, and a masked-LM head
 * (dense + GELU + LayerNorm, decoder tied to the word embeddings, with its own bias).
 *
 * @param vocabSize V (BERT base uncased: 30522)
 * @param maxPositions P (512)
 * @param typeVocabSize token types (2), or 0 for none (RoBERTa-like single segment)
 * @param nEmbd width C (base: 768)
 * @param nLayer blocks (base: 12)
 * @param nHead heads (base: 12)
 * @param intermediateSize MLP width (base: 3072)
 * @param dropout embedding, attention and residual dropout in training (0.1)
 * @param layerNormEps LayerNorm epsilon (1e-12)
 */
public record BertConfig(int vocabSize, int maxPositions, int typeVocabSize, int nEmbd, int nLayer, int nHead,
        int intermediateSize, double dropout, double layerNormEps) {

    public BertConfig {
        GptConfig.positive("vocabSize", vocabSize);
        GptConfig.positive("maxPositions", maxPositions);
        GptConfig.positive("nEmbd", nEmbd);
        GptConfig.positive("nLayer", nLayer);
        GptConfig.positive("nHead", nHead);
        GptConfig.positive("intermediateSize", intermediateSize);
        if (typeVocabSize < 0) {
            throw new IllegalArgumentException("typeVocabSize must be >= 0 (0 = no token types) but was " + typeVocabSize);
        }
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("nEmbd (" + nEmbd + ") must be divisible by nHead (" + nHead + ")");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1) but was " + dropout);
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layerNormEps must be > 0 (BERT: 1e-12) but was " + layerNormEps);
        }
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
