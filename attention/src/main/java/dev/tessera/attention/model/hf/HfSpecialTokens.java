package dev.tessera.attention.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The special token ids a Hugging Face model directory declares.
 *
 * @param bosTokenId the beginning-of-sequence id, if declared
 * @param eosTokenIds the ids that end generation (Llama 3 instruct models have several), possibly empty
 * @param padTokenId the padding id, if declared
 */
public record HfSpecialTokens(OptionalInt bosTokenId, List<Integer> eosTokenIds, OptionalInt padTokenId) {
    private static final Logger LOG = LoggerFactory.getLogger(HfSpecialTokens.class);

    public HfSpecialTokens {
        if (bosTokenId == null || eosTokenIds == null || padTokenId == null) {
            throw new IllegalArgumentException("bosTokenId, eosTokenIds and padTokenId must not be null "
                    + "(use OptionalInt.empty() and List.of())");
        }
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** No special tokens declared. */
    public static HfSpecialTokens none() {
        return new HfSpecialTokens(OptionalInt.empty(), List.of(), OptionalInt.empty());
    }

    /**
     * Resolves the ids as Hugging Face generation does: {@code generation_config.json} first, then
     * {@code config.json}, then {@code tokenizer_config.json}'s token strings ({@code "bos_token"},
     * {@code "eos_token"}, {@code "pad_token"}, plain or as {@code {"content": ...}}) looked up in
     * the tokenizer. Every id must lie in [0, vocabSize).
     *
     * @param tokenizer the directory's tokenizer, or null (token strings then cannot be resolved
     *     and are skipped with a warning)
     */
    static HfSpecialTokens read(Path dir, HfJson config, Tokenizer tokenizer, int vocabSize) throws IOException {
        Path genFile = dir.resolve("generation_config.json");
        HfJson gen = Files.isRegularFile(genFile) ? HfJson.read(genFile) : null;
        Path tokFile = dir.resolve("tokenizer_config.json");
        HfJson tok = Files.isRegularFile(tokFile) ? HfJson.read(tokFile) : null;
        OptionalInt bos = single("bos_token_id", "bos_token", gen, config, tok, tokenizer, vocabSize);
        OptionalInt pad = single("pad_token_id", "pad_token", gen, config, tok, tokenizer, vocabSize);
        List<Integer> eos = new ArrayList<>();
        for (HfJson f : new HfJson[] {gen, config}) {
            if (f != null && f.has("eos_token_id")) {
                JsonNode v = f.get("eos_token_id");
                if (v.isArray()) {
                    for (JsonNode e : v) {
                        eos.add(id(f, "eos_token_id", e, vocabSize));
                    }
                } else {
                    eos.add(id(f, "eos_token_id", v, vocabSize));
                }
                return new HfSpecialTokens(bos, eos, pad);
            }
        }
        OptionalInt fromTokenizer = fromTokenString(tok, "eos_token", tokenizer, vocabSize);
        fromTokenizer.ifPresent(eos::add);
        return new HfSpecialTokens(bos, eos, pad);
    }

    private static OptionalInt single(String idKey, String tokenKey, HfJson gen, HfJson config, HfJson tok,
            Tokenizer tokenizer, int vocabSize) throws HfFormatException {
        for (HfJson f : new HfJson[] {gen, config}) {
            if (f != null && f.has(idKey)) {
                return OptionalInt.of(id(f, idKey, f.get(idKey), vocabSize));
            }
        }
        return fromTokenString(tok, tokenKey, tokenizer, vocabSize);
    }

    private static OptionalInt fromTokenString(HfJson tok, String key, Tokenizer tokenizer, int vocabSize)
            throws HfFormatException {
        if (tok == null || !tok.has(key)) {
            return OptionalInt.empty();
        }
        JsonNode v = tok.get(key);
        JsonNode content = v.isObject() ? v.get("content") : v;
        if (content == null || !content.isTextual()) {
            throw new HfFormatException(tok.file() + ": key '" + key + "' must be a string or an object with a string "
                    + "'content' but was " + v);
        }
        String text = content.textValue();
        if (tokenizer == null) {
            LOG.warn("{}: '{}' is \"{}\" but the directory has no tokenizer.json to look its id up in; it is not set",
                    tok.file(), key, text);
            return OptionalInt.empty();
        }
        Integer special = tokenizer.specialTokens().get(text);
        int[] ids = special != null ? new int[] {special} : tokenizer.encodeOrdinary(text);
        if (ids.length != 1) {
            throw new HfFormatException(tok.file() + ": key '" + key + "' is \"" + text + "\", which the tokenizer encodes "
                    + "as " + ids.length + " tokens instead of one");
        }
        if (ids[0] >= vocabSize) {
            throw new HfFormatException(tok.file() + ": key '" + key + "' (\"" + text + "\") has id " + ids[0]
                    + ", outside the model's vocabulary [0, " + vocabSize + ")");
        }
        return OptionalInt.of(ids[0]);
    }

    private static int id(HfJson f, String key, JsonNode v, int vocabSize) throws HfFormatException {
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0 || v.intValue() >= vocabSize) {
            throw new HfFormatException(f.file() + ": key '" + key + "' must be a token id in [0, " + vocabSize
                    + ") but was " + v);
        }
        return v.intValue();
    }
}
