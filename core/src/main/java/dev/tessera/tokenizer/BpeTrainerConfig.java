package dev.tessera.tokenizer;

import java.util.List;

/**
 * Settings of {@link BpeTrainer}.
 *
 * @param vocabSize      total vocabulary size including the 256 byte tokens and the special
 *                       tokens, e.g. 8192 or 32000; at least 256 + number of special tokens
 * @param specialTokens  special tokens, given the ids right after the learned merges, e.g.
 *                       {@code ["<|endoftext|>"]}
 * @param pattern        pre-tokenisation pattern, e.g. {@link SplitPattern#CL100K}
 * @param minFrequency   a pair must occur at least this many times to be merged (typically 2);
 *                       training stops early, with a smaller vocabulary, when no pair does
 * @param maxWordBytes   pre-tokenised pieces longer than this many bytes are ignored when
 *                       counting (typically 256; long runs of one character would otherwise
 *                       cost time quadratic in their length and teach nothing useful)
 * @param threads        threads for reading and counting words, e.g. 2
 */
public record BpeTrainerConfig(int vocabSize, List<String> specialTokens, SplitPattern pattern,
                               int minFrequency, int maxWordBytes, int threads) {
    public BpeTrainerConfig {
        if (specialTokens == null) {
            throw new IllegalArgumentException("specialTokens must not be null (use List.of())");
        }
        specialTokens = List.copyOf(specialTokens);
        if (vocabSize < 256 + specialTokens.size()) {
            throw new IllegalArgumentException("vocabSize must be >= 256 + specialTokens.size() = "
                    + (256 + specialTokens.size()) + ", got " + vocabSize);
        }
        if (pattern == null) {
            throw new IllegalArgumentException("pattern must not be null");
        }
        if (minFrequency < 1) {
            throw new IllegalArgumentException("minFrequency must be >= 1, got " + minFrequency);
        }
        if (maxWordBytes < 2) {
            throw new IllegalArgumentException("maxWordBytes must be >= 2, got " + maxWordBytes);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (specialTokens.stream().distinct().count() != specialTokens.size()
                || specialTokens.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("specialTokens must be distinct and non-empty, got " + specialTokens);
        }
    }

    /** cl100k pattern, {@code <|endoftext|>}, minFrequency 2, 256-byte words, 2 threads. */
    public static BpeTrainerConfig of(int vocabSize) {
        return new BpeTrainerConfig(vocabSize, List.of("<|endoftext|>"), SplitPattern.CL100K, 2, 256, 2);
    }
}
