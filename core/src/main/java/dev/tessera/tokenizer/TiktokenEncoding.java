package dev.tessera.tokenizer;

import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * OpenAI's tiktoken encodings: rank file, pre-tokenisation pattern and special tokens. The
 * rank files are read from the {@code com.knuddels:jtokkit} jar on the classpath, an optional
 * dependency of {@code tessera-core}: users of these encodings add it to their own build, and
 * without it {@link Tokenizers#get} fails with an error that names it.
 */
public enum TiktokenEncoding {
    /** GPT-2 / GPT-3: 50,257 tokens. */
    R50K_BASE("r50k_base", SplitPattern.GPT2, Map.of("<|endoftext|>", 50256)),
    /** Codex: 50,281 tokens. */
    P50K_BASE("p50k_base", SplitPattern.GPT2, Map.of("<|endoftext|>", 50256)),
    /** GPT-3.5 / GPT-4: 100,277 ids. */
    CL100K_BASE("cl100k_base", SplitPattern.CL100K, ordered(
            "<|endoftext|>", 100257, "<|fim_prefix|>", 100258, "<|fim_middle|>", 100259,
            "<|fim_suffix|>", 100260, "<|endofprompt|>", 100276)),
    /** GPT-4o: 200,019 ids. */
    O200K_BASE("o200k_base", SplitPattern.O200K, ordered(
            "<|endoftext|>", 199999, "<|endofprompt|>", 200018));

    /** The Maven artifact whose jar holds the rank files. */
    public static final String RANKS_ARTIFACT = "com.knuddels:jtokkit";
    /** The release of {@link #RANKS_ARTIFACT} Tessera is built and tested with (core's POM checks it in a test). */
    public static final String RANKS_ARTIFACT_VERSION = "1.1.0";

    private final String encodingName;
    private final SplitPattern pattern;
    private final Map<String, Integer> specialTokens;

    TiktokenEncoding(String name, SplitPattern pattern, Map<String, Integer> specials) {
        this.encodingName = name;
        this.pattern = pattern;
        this.specialTokens = specials;
    }

    private static Map<String, Integer> ordered(Object... kv) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Integer) kv[i + 1]);
        }
        return m;
    }

    /** tiktoken's name, e.g. {@code "cl100k_base"}. */
    public String encodingName() {
        return encodingName;
    }

    public SplitPattern pattern() {
        return pattern;
    }

    public Map<String, Integer> specialTokens() {
        return specialTokens;
    }

    /** Classpath resource of the rank file (inside the jtokkit jar). */
    public String resource() {
        return "com/knuddels/jtokkit/" + encodingName + ".tiktoken";
    }

    /**
     * Opens the rank file from the class path.
     *
     * @throws IllegalStateException naming the dependency to add when the rank file is not there
     */
    InputStream openRanks() {
        InputStream in = TiktokenEncoding.class.getClassLoader().getResourceAsStream(resource());
        if (in == null) {
            throw new IllegalStateException(encodingName + ": rank file " + resource() + " is not on the class path;"
                    + " it comes from the jtokkit jar, an optional dependency of tessera-core: add "
                    + RANKS_ARTIFACT + ":" + RANKS_ARTIFACT_VERSION + " to your dependencies,"
                    + " or load a rank file with Tokenizers.fromTiktokenFile");
        }
        return in;
    }
}
