package dev.tessera.tokenizer;

import dev.tessera.core.Require;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Entry point: tiktoken encodings, tiktoken rank files and Hugging Face tokenizer.json files.
 *
 * <pre>
 * Tokenizer enc = Tokenizers.cl100kBase();
 * enc.encode("hello world")     -> [15339, 1917]
 * Tokenizers.r50kBase().encode("hello world")  -> [31373, 995]
 * Tokenizers.o200kBase().encode("hello world") -> [24912, 2375]
 * </pre>
 * The four built-in encodings are loaded on first use (0.5-1 s each on a 2-core machine) and cached.
 */
public final class Tokenizers {
    private static final Map<TiktokenEncoding, Tokenizer> CACHE = new EnumMap<>(TiktokenEncoding.class);

    private Tokenizers() {
    }

    public static Tokenizer r50kBase() {
        return get(TiktokenEncoding.R50K_BASE);
    }

    public static Tokenizer p50kBase() {
        return get(TiktokenEncoding.P50K_BASE);
    }

    public static Tokenizer cl100kBase() {
        return get(TiktokenEncoding.CL100K_BASE);
    }

    public static Tokenizer o200kBase() {
        return get(TiktokenEncoding.O200K_BASE);
    }

    /**
     * A built-in encoding, loaded from the classpath on first use.
     *
     * @throws IllegalStateException when the rank file is not on the class path (it comes from
     *     {@link TiktokenEncoding#RANKS_ARTIFACT}, an optional dependency); the message names the artifact
     */
    public static synchronized Tokenizer get(TiktokenEncoding encoding) {
        Tokenizer t = CACHE.get(encoding);
        if (t == null) {
            try (InputStream in = encoding.openRanks()) {
                t = TiktokenRanks.build(TiktokenRanks.read(in, encoding.resource()),
                        encoding.pattern().scanner(), encoding.specialTokens());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + encoding.resource(), e);
            }
            CACHE.put(encoding, t);
        }
        return t;
    }

    /**
     * Loads a tiktoken rank file ({@code base64(bytes) rank} per line).
     *
     * @param specialTokens special tokens and their ids (ids must not collide with ranks)
     */
    public static Tokenizer fromTiktokenFile(Path rankFile, SplitPattern pattern, Map<String, Integer> specialTokens)
            throws IOException {
        try (InputStream in = Files.newInputStream(rankFile)) {
            return fromTiktoken(in, rankFile.toString(), pattern, specialTokens);
        }
    }

    /** Loads a tiktoken rank file from a stream; {@code source} names it in error messages. */
    public static Tokenizer fromTiktoken(InputStream in, String source, SplitPattern pattern,
                                         Map<String, Integer> specialTokens) throws IOException {
        Require.nonNull("pattern", pattern);
        return TiktokenRanks.build(TiktokenRanks.read(in, source), pattern.scanner(), specialTokens);
    }

    /** Reads a Hugging Face tokenizer.json (byte-level BPE, SentencePiece-style BPE or Unigram, WordPiece); see {@link TokenizerJson}. */
    public static Tokenizer fromTokenizerJson(Path file) throws IOException {
        return TokenizerJson.read(file);
    }

    /**
     * A BERT WordPiece tokenizer over a vocabulary (token -&gt; id). The special tokens are
     * those of {@code [PAD] [UNK] [CLS] [SEP] [MASK]} present in the vocabulary.
     */
    public static Tokenizer wordPiece(Map<String, Integer> vocab, WordPieceConfig config) {
        if (vocab == null || config == null) {
            throw new IllegalArgumentException("vocab and config must not be null");
        }
        Set<String> specials = new LinkedHashSet<>();
        for (String s : new String[] {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
            if (vocab.containsKey(s)) {
                specials.add(s);
            }
        }
        return new WordPieceTokenizer(vocab, config, specials);
    }
}
