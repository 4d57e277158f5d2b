package dev.tessera.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes Hugging Face {@code tokenizer.json} files.
 *
 * <p>Reading supports:
 * <ul>
 * <li>BPE models with byte-level vocabularies (GPT-2, Llama 3, Qwen 2): pre-tokenizer
 *     {@code ByteLevel} (with {@code use_regex}: the GPT-2 pattern) or a {@code Sequence} of
 *     {@code Split} (regex, behaviour {@code Isolated}, or {@code Removed} with
 *     {@code invert: true} as GPT-4 / GPT-4o files write it) and {@code ByteLevel}; normalizer
 *     {@code null} or {@code NFC}; {@code added_tokens}. Known Split regexes run on the
 *     linear-time scanners of {@link SplitPattern}; any other regex falls back to
 *     {@code java.util.regex} with a logged warning (not guaranteed linear).
 *     Merges are applied tiktoken-style: a token's rank is the index of the first merge that
 *     produces its bytes, and the adjacent pair whose concatenation has the lowest rank is
 *     merged first. This equals Hugging Face's pair-rank rule whenever merges list every
 *     split of a token (as Hugging Face's tiktoken converter and {@link #writeFromTiktoken}
 *     do) or the vocabulary was trained by BPE (GPT-2). {@code ignore_merges: true} (Llama 3)
 *     maps a piece that is itself a token directly to it, as tiktoken does.
 *     Added tokens are special tokens under this library's policy: recognised in text only
 *     when allowed per call. An added token keeps its written id unless its content is in
 *     the model's vocabulary, which then gives the id (Hugging Face's rule); see
 *     {@link #addedTokens}.</li>
 * <li>SentencePiece-style files (Llama 2, Mistral, Gemma, Unigram models such as T5's): a BPE
 *     model whose pre-tokenizer is {@code Metaspace} or absent, or a Unigram model; see
 *     {@link SentencePieceJson} for the components and {@link SentencePieceTokenizer} for the
 *     behaviour. Encoding matches Hugging Face {@code tokenizers} id for id, except that text
 *     spelling a special token never yields it unless allowed (Hugging Face's Unigram model
 *     matches special pieces inside text even with {@code encode_special_tokens}).</li>
 * <li>WordPiece models (BERT): {@code BertNormalizer}, {@code BertPreTokenizer}, the
 *     {@code ##} prefix, {@code max_input_chars_per_word}, and the {@code [CLS] A [SEP]}
 *     post-processor (TemplateProcessing or BertProcessing).</li>
 * </ul>
 *
 * <p>Writing produces byte-level BPE files (ByteLevel decoder, {@code ignore_merges: true},
 * merges for every split of every token whose two halves are tokens, in rank order, as
 * Hugging Face's tiktoken converter does), from the trainer or from tiktoken ranks. Special
 * tokens are written both in {@code added_tokens} and in the model's vocabulary, so that
 * Hugging Face, which renumbers added tokens that the model does not know, reads the same ids.
 *
 * <p>Malformed files fail with an {@link IOException} that names the file and the field:
 * invalid JSON, duplicate keys, content after the root object, ids that are not integers
 * in {@code [0, 2^24)}, duplicated added tokens, unsupported components.
 */
public final class TokenizerJson {
    private static final Logger LOG = LoggerFactory.getLogger(TokenizerJson.class);
    /** Duplicate keys (two ids for one token) and content after the root object are errors. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * Largest token id a file may use. Ids index arrays, so a hostile id of two billion would
     * otherwise allocate gigabytes; real vocabularies are below a million.
     */
    static final int MAX_TOKEN_ID = (1 << 24) - 1;

    private TokenizerJson() {
    }

    /** Reads a tokenizer.json file. */
    public static Tokenizer read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /** Reads a tokenizer.json from a stream; {@code source} names it in error messages. */
    public static Tokenizer read(InputStream in, String source) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (JsonProcessingException e) {
            throw new IOException(source + ": not a valid tokenizer.json: " + e.getOriginalMessage()
                    + " (at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        }
        if (root == null || root.isMissingNode()) {
            throw new IOException(source + ": a tokenizer.json must be a JSON object, got an empty file");
        }
        if (!root.isObject()) {
            throw new IOException(source + ": a tokenizer.json must be a JSON object, got " + root.getNodeType());
        }
        JsonNode model = root.path("model");
        String type = model.path("type").asText("");
        if (type.isEmpty() && model.has("merges")) {
            type = "BPE";
        }
        switch (type) {
            case "BPE":
                return isByteLevel(root.path("pre_tokenizer")) ? readBpe(root, model, source)
                        : SentencePieceJson.read(root, model, type, source);
            case "Unigram":
                return SentencePieceJson.read(root, model, type, source);
            case "WordPiece":
                return WordPieceTokenizer.fromJson(root, model, source);
            default:
                throw new IOException(source + ": model.type must be BPE, Unigram or WordPiece, got '" + type + "'");
        }
    }

    /**
     * Whether a BPE file is byte-level (GPT-2 style: a ByteLevel or Split pre-tokenizer, alone or
     * in a Sequence) rather than SentencePiece-style (Metaspace or no pre-tokenizer).
     */
    private static boolean isByteLevel(JsonNode pre) {
        String t = pre.path("type").asText("");
        if ("ByteLevel".equals(t) || "Split".equals(t)) {
            return true;
        }
        if ("Sequence".equals(t)) {
            for (JsonNode p : pre.path("pretokenizers")) {
                if (isByteLevel(p)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Tokenizer readBpe(JsonNode root, JsonNode model, String source) throws IOException {
        JsonNode normalizer = root.path("normalizer");
        boolean nfc = false;
        if (!normalizer.isNull() && !normalizer.isMissingNode()) {
            String nt = normalizer.path("type").asText();
            if ("NFC".equals(nt)) {
                nfc = true;
            } else {
                throw new IOException(source + ": unsupported normalizer for a byte-level BPE model: " + nt
                        + " (supported: null, NFC)");
            }
        }
        PreTok pre = preTokenizer(root.path("pre_tokenizer"), source);
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject()) {
            throw new IOException(source + ": model.vocab must be an object of token -> id");
        }
        Map<String, Integer> vocab = new HashMap<>();
        int maxId = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = tokenId(e.getValue(), source, "model.vocab entry " + e.getKey());
            vocab.put(e.getKey(), id);
            maxId = Math.max(maxId, id);
        }
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (AddedToken t : addedTokens(root, vocab, source)) {
            if (!vocab.containsKey(t.content()) || t.special()) {
                specials.put(t.content(), t.id());
            }
            maxId = Math.max(maxId, t.id());
        }
        byte[][] tokens = new byte[maxId + 1][];
        boolean[] special = new boolean[maxId + 1];
        int[] ranks = new int[maxId + 1];
        Arrays.fill(ranks, BpeVocab.NO_RANK);
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (specials.containsKey(e.getKey()) && specials.get(e.getKey()).equals(e.getValue())) {
                continue;
            }
            byte[] b = ByteLevel.decode(e.getKey());
            if (b == null) {
                throw new IOException(source + ": vocab token '" + e.getKey() + "' (id " + e.getValue()
                        + ") is not in the byte-level alphabet; only byte-level BPE vocabularies are supported");
            }
            if (tokens[e.getValue()] != null) {
                throw new IOException(source + ": vocab id " + e.getValue() + " is used twice");
            }
            tokens[e.getValue()] = b;
        }
        for (Map.Entry<String, Integer> e : specials.entrySet()) {
            tokens[e.getValue()] = e.getKey().getBytes(StandardCharsets.UTF_8);
            special[e.getValue()] = true;
        }
        JsonNode merges = model.path("merges");
        int index = 0;
        for (JsonNode m : merges) {
            String left;
            String right;
            if (m.isArray() && m.size() == 2) {
                left = m.get(0).asText();
                right = m.get(1).asText();
            } else {
                String s = m.asText();
                int sp = s.indexOf(' ', 1);
                if (sp < 0) {
                    throw new IOException(source + ": merge " + index + " must be 'left right', got '" + s + "'");
                }
                left = s.substring(0, sp);
                right = s.substring(sp + 1);
            }
            Integer id = vocab.get(left + right);
            if (id == null) {
                throw new IOException(source + ": merge " + index + " (" + left + ", " + right
                        + ") produces a token that is not in the vocab");
            }
            if (ranks[id] == BpeVocab.NO_RANK) {
                ranks[id] = index;
            }
            index++;
        }
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);
        BpeVocab bv = new BpeVocab(tokens, ranks, special, ignoreMerges);
        BpeTokenizer bpe = new BpeTokenizer(bv, pre.scanner, specials, pre.addPrefixSpace);
        LOG.debug("{}: byte-level BPE with {} ids, {} merges, {} special tokens", source, tokens.length, index,
                specials.size());
        return nfc ? new NfcTokenizer(bpe) : bpe;
    }

    private record PreTok(PieceScanner scanner, boolean addPrefixSpace) {
    }

    /** One entry of {@code added_tokens}, with the id this reader gives it. */
    record AddedToken(String content, int id, boolean special) {
    }

    /**
     * The {@code added_tokens} of a file. A token whose content is in the model's vocabulary
     * takes the vocabulary's id, as in Hugging Face (which ignores the written id and warns);
     * any other token keeps its written id. Hugging Face numbers those from the end of the
     * model's vocabulary instead, so a written id that differs from that number is logged:
     * the file means different ids to the two readers. Entries with empty content are
     * skipped, as Hugging Face does.
     */
    static List<AddedToken> addedTokens(JsonNode root, Map<String, Integer> vocab, String source) throws IOException {
        JsonNode list = root.path("added_tokens");
        if (!list.isMissingNode() && !list.isNull() && !list.isArray()) {
            throw new IOException(source + ": added_tokens must be an array, got " + list.getNodeType());
        }
        List<AddedToken> out = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        int hfNext = vocab.size();
        for (JsonNode t : list) {
            JsonNode c = t.path("content");
            if (!c.isTextual()) {
                throw new IOException(source + ": added_tokens entry " + t + " must have a string content");
            }
            String content = c.textValue();
            int written = tokenId(t.path("id"), source, "added token " + content + " id");
            if (content.isEmpty()) {
                LOG.warn("{}: added token with id {} has empty content; skipped", source, written);
                continue;
            }
            Integer previous = seen.put(content, written);
            if (previous != null) {
                throw new IOException(source + ": added token " + content + " appears twice (ids " + previous + " and "
                        + written + ")");
            }
            int id = written;
            Integer inVocab = vocab.get(content);
            if (inVocab != null && inVocab != written) {
                LOG.warn("{}: added token {} is written with id {} but model.vocab gives it {}; using {} as Hugging Face does",
                        source, content, written, inVocab, inVocab);
                id = inVocab;
            } else if (inVocab == null) {
                if (written != hfNext) {
                    LOG.warn("{}: added token {} has id {}, but Hugging Face would number it {} (after the model's {} ids);"
                            + " put it in model.vocab to fix its id for both", source, content, written, hfNext,
                            vocab.size());
                }
                hfNext = Math.max(hfNext, written) + 1;
            }
            out.add(new AddedToken(content, id, t.path("special").asBoolean(false)));
        }
        return out;
    }

    /** A token id: a JSON integer in [0, {@link #MAX_TOKEN_ID}]. */
    static int tokenId(JsonNode node, String source, String what) throws IOException {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new IOException(source + ": " + what + " must be an integer token id, got "
                    + (node == null || node.isMissingNode() ? "nothing" : node.toString()));
        }
        int id = node.intValue();
        if (id < 0 || id > MAX_TOKEN_ID) {
            throw new IOException(source + ": " + what + " must be in [0, " + MAX_TOKEN_ID + "], got " + id);
        }
        return id;
    }

    private static PreTok preTokenizer(JsonNode node, String source) throws IOException {
        String type = node.path("type").asText("");
        if ("ByteLevel".equals(type)) {
            if (!node.path("use_regex").asBoolean(true)) {
                throw new IOException(source + ": ByteLevel pre-tokenizer without use_regex and without a Split");
            }
            return new PreTok(SplitPattern.GPT2.scanner(), node.path("add_prefix_space").asBoolean(false));
        }
        if ("Sequence".equals(type)) {
            PieceScanner scanner = null;
            boolean prefix = false;
            boolean byteLevel = false;
            for (JsonNode p : node.path("pretokenizers")) {
                String t = p.path("type").asText();
                if ("Split".equals(t)) {
                    if (scanner != null) {
                        throw new IOException(source + ": more than one Split pre-tokenizer is not supported");
                    }
                    scanner = split(p, source);
                } else if ("ByteLevel".equals(t)) {
                    byteLevel = true;
                    prefix = p.path("add_prefix_space").asBoolean(false);
                    if (p.path("use_regex").asBoolean(true)) {
                        if (scanner != null) {
                            throw new IOException(source + ": Split followed by ByteLevel with use_regex=true is not supported");
                        }
                        scanner = SplitPattern.GPT2.scanner();
                    }
                } else {
                    throw new IOException(source + ": unsupported pre-tokenizer in Sequence: " + t);
                }
            }
            if (scanner == null || !byteLevel) {
                throw new IOException(source + ": expected a Sequence of Split and ByteLevel pre-tokenizers");
            }
            return new PreTok(scanner, prefix);
        }
        if ("Split".equals(type)) {
            return new PreTok(split(node, source), false);
        }
        throw new IOException(source + ": unsupported pre_tokenizer type '" + type + "' for a BPE model");
    }

    /**
     * A Split pre-tokenizer. Two forms give the regex's matches as the pieces: behaviour
     * {@code Isolated} with {@code invert: false} (matches and the text between them are
     * pieces) and {@code Removed} with {@code invert: true} (matches are pieces, the text
     * between them is dropped), the form of GPT-4 / GPT-4o tokenizer.json files. For the
     * tiktoken patterns, which match every character, the two are the same.
     */
    private static PieceScanner split(JsonNode p, String source) throws IOException {
        String behavior = p.path("behavior").asText("Isolated");
        boolean invert = p.path("invert").asBoolean(false);
        boolean removeGaps;
        if ("Isolated".equals(behavior) && !invert) {
            removeGaps = false;
        } else if ("Removed".equals(behavior) && invert) {
            removeGaps = true;
        } else {
            throw new IOException(source + ": Split with behavior " + behavior + " and invert=" + invert
                    + " is not supported; supported: Isolated with invert=false, Removed with invert=true");
        }
        JsonNode pat = p.path("pattern");
        String regex;
        if (pat.has("Regex")) {
            regex = pat.get("Regex").asText();
        } else if (pat.has("String")) {
            regex = Pattern.quote(pat.get("String").asText());
        } else {
            throw new IOException(source + ": Split pattern must have Regex or String");
        }
        SplitPattern known = SplitPattern.forRegex(regex);
        if (known != null) {
            return known.scanner();
        }
        LOG.warn("{}: Split regex {} has no linear-time scanner; using java.util.regex, which may backtrack",
                source, regex);
        try {
            return new RegexScanner(regex, removeGaps);
        } catch (PatternSyntaxException e) {
            throw new IOException(source + ": Split regex " + regex + " does not compile: " + e.getDescription(), e);
        }
    }

    /** Writes a GPT-2-style tokenizer.json for a built-in tiktoken encoding (e.g. r50k_base). */
    public static void writeFromTiktoken(TiktokenEncoding encoding, Path file) throws IOException {
        byte[][] ranks;
        try (InputStream in = encoding.openRanks()) {
            ranks = TiktokenRanks.read(in, encoding.resource());
        }
        writeByteLevelBpe(ranks, encoding.specialTokens(), encoding.pattern(), file);
    }

    static void writeByteLevelBpe(byte[][] ranks, Map<String, Integer> specials, SplitPattern pattern, Path file)
            throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        specials.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> {
            ObjectNode t = added.addObject();
            t.put("id", e.getValue());
            t.put("content", e.getKey());
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        });
        root.putNull("normalizer");
        ObjectNode byteLevel = JSON.createObjectNode();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        if (pattern == SplitPattern.GPT2) {
            byteLevel.put("use_regex", true);
            root.set("pre_tokenizer", byteLevel);
        } else {
            byteLevel.put("use_regex", false);
            ObjectNode seq = root.putObject("pre_tokenizer");
            seq.put("type", "Sequence");
            ArrayNode list = seq.putArray("pretokenizers");
            ObjectNode split = list.addObject();
            split.put("type", "Split");
            split.putObject("pattern").put("Regex", pattern.regex());
            split.put("behavior", "Isolated");
            split.put("invert", false);
            list.add(byteLevel);
        }
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "ByteLevel");
        post.put("add_prefix_space", true);
        post.put("trim_offsets", false);
        post.put("use_regex", true);
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel");
        dec.put("add_prefix_space", true);
        dec.put("trim_offsets", true);
        dec.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", true);
        ObjectNode vocab = model.putObject("vocab");
        Map<String, Integer> rankOf = new HashMap<>(ranks.length * 2);
        for (int r = 0; r < ranks.length; r++) {
            if (ranks[r] != null) {
                String s = ByteLevel.encode(ranks[r]);
                vocab.put(s, r);
                rankOf.put(new String(ranks[r], StandardCharsets.ISO_8859_1), r);
            }
        }
        // Special tokens go into the model's vocabulary too: Hugging Face ignores the ids
        // written in added_tokens and gives each added token its id in the model's
        // vocabulary, or else the next id after it (cl100k's <|endoftext|> would become
        // 100256 instead of 100257).
        for (Map.Entry<String, Integer> e : specials.entrySet()) {
            if (vocab.has(e.getKey())) {
                throw new IllegalArgumentException("special token " + e.getKey() + " (id " + e.getValue()
                        + ") is spelled like the ordinary token with id " + vocab.get(e.getKey()).asInt());
            }
            vocab.put(e.getKey(), e.getValue());
        }
        ArrayNode merges = model.putArray("merges");
        for (int[] m : mergesFromRanks(ranks, rankOf)) {
            merges.add(ByteLevel.encode(ranks[m[0]]) + " " + ByteLevel.encode(ranks[m[1]]));
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValue(out, root);
        }
    }

    /**
     * Every split (left, right) of every token of two or more bytes whose halves are both
     * tokens, ordered by the token's rank, then by the ranks of left and right (the order
     * Hugging Face's tiktoken converter uses). Under pair-rank merging this reproduces
     * tiktoken's rule that any adjacent pair whose concatenation is a token merges with that
     * token's rank.
     */
    static List<int[]> mergesFromRanks(byte[][] ranks, Map<String, Integer> rankOf) {
        List<int[]> out = new ArrayList<>();
        for (int r = 0; r < ranks.length; r++) {
            byte[] t = ranks[r];
            if (t == null || t.length < 2) {
                continue;
            }
            String s = new String(t, StandardCharsets.ISO_8859_1);
            List<int[]> local = new ArrayList<>();
            for (int k = 1; k < t.length; k++) {
                Integer l = rankOf.get(s.substring(0, k));
                Integer rr = rankOf.get(s.substring(k));
                if (l != null && rr != null) {
                    local.add(new int[] {l, rr});
                }
            }
            local.sort((x, y) -> x[0] != y[0] ? Integer.compare(x[0], y[0]) : Integer.compare(x[1], y[1]));
            out.addAll(local);
        }
        return out;
    }
}
