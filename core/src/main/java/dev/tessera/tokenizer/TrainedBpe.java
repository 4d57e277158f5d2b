package dev.tessera.tokenizer;

import dev.tessera.io.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;

/**
 * Result of {@link BpeTrainer}: token bytes by rank (0-255 are the single bytes in byte
 * order, then one token per merge in merge order), special tokens (ids after the ranks) and
 * the pre-tokenisation pattern.
 */
public final class TrainedBpe {
    private final byte[][] tokens;
    private final Map<String, Integer> specials;
    private final SplitPattern pattern;

    TrainedBpe(byte[][] tokens, Map<String, Integer> specials, SplitPattern pattern) {
        this.tokens = tokens;
        this.specials = Collections.unmodifiableMap(specials);
        this.pattern = pattern;
    }

    /** Number of learned merges. */
    public int mergeCount() {
        return tokens.length - 256;
    }

    /** Total vocabulary size, special tokens included. */
    public int vocabSize() {
        return tokens.length + specials.size();
    }

    public Map<String, Integer> specialTokens() {
        return specials;
    }

    public SplitPattern pattern() {
        return pattern;
    }

    /** Bytes of the token with the given rank. */
    public byte[] tokenBytes(int rank) {
        if (rank < 0 || rank >= tokens.length) {
            throw new IllegalArgumentException("rank must be in [0, " + tokens.length + "), got " + rank);
        }
        return tokens[rank].clone();
    }

    /** A tokenizer for this vocabulary. */
    public Tokenizer tokenizer() {
        return TiktokenRanks.build(Arrays.copyOf(tokens, tokens.length), pattern.scanner(), specials);
    }

    /** Writes a tiktoken rank file atomically (special tokens are not part of that format). */
    public void writeTiktoken(Path file) throws IOException {
        AtomicFiles.write(file, tmp -> {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                TiktokenRanks.write(tokens, out);
            }
        });
    }

    /** Writes atomically a Hugging Face tokenizer.json (BPE, ByteLevel, Split with the pattern). */
    public void writeTokenizerJson(Path file) throws IOException {
        AtomicFiles.write(file, tmp -> TokenizerJson.writeByteLevelBpe(tokens, specials, pattern, tmp));
    }
}
