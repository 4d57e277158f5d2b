package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the SentencePiece-style parts of a tokenizer.json into a {@link SentencePieceTokenizer}:
 * a BPE model over characters ({@code byte_fallback}, {@code unk_token}, {@code fuse_unk},
 * {@code ignore_merges}, merges as {@code "a b"} strings or {@code ["a", "b"]} arrays) or a
 * Unigram model ({@code vocab} of {@code [piece, score]}, {@code unk_id},
 * {@code byte_fallback}); normalizers {@code Prepend}, {@code Replace} (string pattern),
 * {@code NFC}, {@code NFKC}, {@code Sequence}; pre-tokenizer {@code Metaspace} (or none);
 * decoders {@code Replace}, {@code ByteFallback}, {@code Fuse}, {@code Strip},
 * {@code Metaspace}, {@code Sequence}; post-processor {@code TemplateProcessing} (its
 * {@code single} template); {@code added_tokens} with {@code special}, {@code normalized},
 * {@code lstrip}, {@code rstrip}, {@code single_word}. Anything else fails with an
 * {@link IOException} naming the file and the field.
 */
final class SentencePieceJson {
    private static final Logger LOG = LoggerFactory.getLogger(SentencePieceJson.class);

    private SentencePieceJson() {
    }

    static Tokenizer read(JsonNode root, JsonNode model, String type, String source) throws IOException {
        TextNormalizer normalizer = normalizer(root.path("normalizer"), source, "normalizer");
        Metaspace pre = preTokenizer(root.path("pre_tokenizer"), source);
        TokenDecoder decoder = decoder(root.path("decoder"), source, "decoder");
        Map<String, Integer> vocab = new HashMap<>();
        double[] scores = null;
        int maxId = -1;
        if ("Unigram".equals(type)) {
            JsonNode list = model.path("vocab");
            if (!list.isArray()) {
                throw new IOException(source + ": model.vocab of a Unigram model must be an array of [piece, score]");
            }
            scores = new double[list.size()];
            for (int id = 0; id < list.size(); id++) {
                JsonNode e = list.get(id);
                if (!e.isArray() || e.size() != 2 || !e.get(0).isTextual() || !e.get(1).isNumber()) {
                    throw new IOException(source + ": model.vocab[" + id + "] must be [piece, score], got " + e);
                }
                if (vocab.put(e.get(0).textValue(), id) != null) {
                    throw new IOException(source + ": model.vocab[" + id + "] repeats the piece '" + e.get(0).textValue() + "'");
                }
                scores[id] = e.get(1).doubleValue();
            }
            maxId = list.size() - 1;
        } else {
            JsonNode v = model.path("vocab");
            if (!v.isObject()) {
                throw new IOException(source + ": model.vocab must be an object of token -> id");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int id = TokenizerJson.tokenId(e.getValue(), source, "model.vocab entry " + e.getKey());
                vocab.put(e.getKey(), id);
                maxId = Math.max(maxId, id);
            }
        }
        List<AddedVocabulary.Entry> added = addedTokens(root, vocab, normalizer, source);
        for (AddedVocabulary.Entry e : added) {
            maxId = Math.max(maxId, e.id());
        }
        String[] tokens = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (tokens[e.getValue()] != null) {
                throw new IOException(source + ": vocab id " + e.getValue() + " is used by both '" + tokens[e.getValue()]
                        + "' and '" + e.getKey() + "'");
            }
            tokens[e.getValue()] = e.getKey();
        }
        // Ordinary vocabulary: the model never produces a special token from text.
        Map<String, Integer> ordinary = new HashMap<>(vocab);
        for (AddedVocabulary.Entry e : added) {
            if (tokens[e.id()] != null && !tokens[e.id()].equals(e.content())) {
                throw new IOException(source + ": added token '" + e.content() + "' has id " + e.id()
                        + ", which model.vocab gives to '" + tokens[e.id()] + "'");
            }
            tokens[e.id()] = e.content();
            if (e.special()) {
                ordinary.remove(e.content());
            }
        }
        boolean byteFallback = model.path("byte_fallback").asBoolean(false);
        SubwordModel m;
        if ("Unigram".equals(type)) {
            JsonNode unk = model.path("unk_id");
            int unkId = -1;
            if (!unk.isNull() && !unk.isMissingNode()) {
                unkId = TokenizerJson.tokenId(unk, source, "model.unk_id");
                if (unkId >= scores.length) {
                    throw new IOException(source + ": model.unk_id must be < the vocabulary size " + scores.length
                            + ", got " + unkId);
                }
            }
            m = new UnigramModel(ordinary, scores, unkId, byteFallback);
        } else {
            m = bpe(model, vocab, ordinary, specialIds(added), byteFallback, source);
        }
        int[][] template = template(root.path("post_processor"), source);
        for (int[] part : template) {
            for (int id : part) {
                if (id >= tokens.length || tokens[id] == null) {
                    throw new IOException(source + ": post_processor uses id " + id + ", which is not a token of the file");
                }
            }
        }
        LOG.debug("{}: SentencePiece-style {} model with {} ids, {} added tokens", source, type, tokens.length, added.size());
        return new SentencePieceTokenizer(normalizer, pre, m, decoder, new AddedVocabulary(added), tokens, template[0],
                template[1]);
    }

    private static Set<Integer> specialIds(List<AddedVocabulary.Entry> added) {
        Set<Integer> ids = new HashSet<>();
        for (AddedVocabulary.Entry e : added) {
            if (e.special()) {
                ids.add(e.id());
            }
        }
        return ids;
    }

    private static SentencePieceBpe bpe(JsonNode model, Map<String, Integer> vocab, Map<String, Integer> ordinary,
                                        Set<Integer> specialIds, boolean byteFallback, String source)
            throws IOException {
        JsonNode dropout = model.path("dropout");
        if (!dropout.isNull() && !dropout.isMissingNode() && dropout.asDouble() != 0.0) {
            throw new IOException(source + ": model.dropout must be null or 0 (deterministic encoding), got " + dropout);
        }
        for (String field : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            JsonNode f = model.path(field);
            if (!f.isNull() && !f.isMissingNode() && !f.asText().isEmpty()) {
                throw new IOException(source + ": model." + field + " is not supported for SentencePiece-style BPE, got " + f);
            }
        }
        int unkId = -1;
        JsonNode unk = model.path("unk_token");
        if (!unk.isNull() && !unk.isMissingNode()) {
            Integer id = vocab.get(unk.asText());
            if (id == null) {
                throw new IOException(source + ": model.unk_token '" + unk.asText() + "' is not in model.vocab");
            }
            unkId = id;
        }
        Map<Long, Long> merges = new HashMap<>();
        int rank = 0;
        for (JsonNode mg : model.path("merges")) {
            String left;
            String right;
            if (mg.isArray() && mg.size() == 2 && mg.get(0).isTextual() && mg.get(1).isTextual()) {
                left = mg.get(0).textValue();
                right = mg.get(1).textValue();
            } else if (mg.isTextual()) {
                String s = mg.textValue();
                int sp = s.indexOf(' ');
                if (sp <= 0 || sp == s.length() - 1 || s.indexOf(' ', sp + 1) >= 0) {
                    throw new IOException(source + ": model.merges[" + rank + "] must be 'left right', got '" + s + "'");
                }
                left = s.substring(0, sp);
                right = s.substring(sp + 1);
            } else {
                throw new IOException(source + ": model.merges[" + rank + "] must be a 'left right' string or a"
                        + " [left, right] array, got " + mg);
            }
            Integer l = vocab.get(left);
            Integer r = vocab.get(right);
            Integer merged = vocab.get(left + right);
            if (l == null || r == null || merged == null) {
                throw new IOException(source + ": model.merges[" + rank + "] (" + left + ", " + right + ") uses or makes a"
                        + " token that is not in model.vocab");
            }
            if (!specialIds.contains(merged)) {
                merges.put(SentencePieceBpe.pair(l, r), ((long) rank << 32) | merged);
            }
            rank++;
        }
        return new SentencePieceBpe(ordinary, merges, byteFallback, unkId, model.path("fuse_unk").asBoolean(false),
                model.path("ignore_merges").asBoolean(false));
    }

    /** Added tokens with Hugging Face's ids: the model's id for content it knows, else the written id. */
    private static List<AddedVocabulary.Entry> addedTokens(JsonNode root, Map<String, Integer> vocab,
                                                           TextNormalizer normalizer, String source) throws IOException {
        JsonNode list = root.path("added_tokens");
        if (!list.isMissingNode() && !list.isNull() && !list.isArray()) {
            throw new IOException(source + ": added_tokens must be an array, got " + list.getNodeType());
        }
        List<AddedVocabulary.Entry> out = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (JsonNode t : list) {
            JsonNode c = t.path("content");
            if (!c.isTextual()) {
                throw new IOException(source + ": added_tokens entry " + t + " must have a string content");
            }
            String content = c.textValue();
            int written = TokenizerJson.tokenId(t.path("id"), source, "added token " + content + " id");
            if (content.isEmpty()) {
                LOG.warn("{}: added token with id {} has empty content; skipped", source, written);
                continue;
            }
            if (seen.put(content, written) != null) {
                throw new IOException(source + ": added token " + content + " appears twice");
            }
            Integer inVocab = vocab.get(content);
            int id = inVocab != null ? inVocab : written;
            if (inVocab != null && inVocab != written) {
                LOG.warn("{}: added token {} is written with id {} but model.vocab gives it {}; using {} as Hugging Face does",
                        source, content, written, inVocab, inVocab);
            }
            boolean special = t.path("special").asBoolean(false);
            boolean normalized = t.path("normalized").asBoolean(!special);
            String pattern = normalized && normalizer != null ? normalizer.apply(content) : content;
            out.add(new AddedVocabulary.Entry(content, pattern, id, special, t.path("single_word").asBoolean(false),
                    t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false), normalized));
        }
        return out;
    }

    private static TextNormalizer normalizer(JsonNode n, String source, String where) throws IOException {
        if (n.isNull() || n.isMissingNode()) {
            return null;
        }
        String type = n.path("type").asText("");
        switch (type) {
            case "Prepend":
                return new TextNormalizer.Prepend(text(n, "prepend", source, where));
            case "Replace":
                return new TextNormalizer.Replace(stringPattern(n, source, where), text(n, "content", source, where));
            case "NFC":
                return new TextNormalizer.Unicode(Normalizer.Form.NFC);
            case "NFKC":
                return new TextNormalizer.Unicode(Normalizer.Form.NFKC);
            case "Sequence": {
                List<TextNormalizer> steps = new ArrayList<>();
                int i = 0;
                for (JsonNode s : n.path("normalizers")) {
                    TextNormalizer step = normalizer(s, source, where + ".normalizers[" + i++ + "]");
                    if (step != null) {
                        steps.add(step);
                    }
                }
                return new TextNormalizer.Sequence(steps);
            }
            default:
                throw new IOException(source + ": " + where + " type '" + type + "' is not supported for a SentencePiece-style"
                        + " model; supported: Prepend, Replace, NFC, NFKC, Sequence");
        }
    }

    private static Metaspace preTokenizer(JsonNode n, String source) throws IOException {
        if (n.isNull() || n.isMissingNode()) {
            return null;
        }
        String type = n.path("type").asText("");
        if ("Sequence".equals(type) && n.path("pretokenizers").size() == 1) {
            return preTokenizer(n.path("pretokenizers").get(0), source);
        }
        if (!"Metaspace".equals(type)) {
            throw new IOException(source + ": pre_tokenizer type '" + type + "' is not supported for a SentencePiece-style"
                    + " model; supported: Metaspace or none");
        }
        return new Metaspace(text(n, "replacement", source, "pre_tokenizer"), prependScheme(n, source, "pre_tokenizer"),
                n.path("split").asBoolean(true));
    }

    /** {@code prepend_scheme} (default always), or the older {@code add_prefix_space: false} meaning never. */
    private static Metaspace.PrependScheme prependScheme(JsonNode n, String source, String where) throws IOException {
        String scheme = n.path("prepend_scheme").asText("always");
        Metaspace.PrependScheme s;
        switch (scheme) {
            case "always" -> s = Metaspace.PrependScheme.ALWAYS;
            case "first" -> s = Metaspace.PrependScheme.FIRST;
            case "never" -> s = Metaspace.PrependScheme.NEVER;
            default -> throw new IOException(source + ": " + where + ".prepend_scheme must be always, first or never, got '"
                    + scheme + "'");
        }
        if (n.has("add_prefix_space") && !n.path("add_prefix_space").asBoolean(true)) {
            if (n.has("prepend_scheme") && s != Metaspace.PrependScheme.NEVER) {
                throw new IOException(source + ": " + where + " has add_prefix_space false but prepend_scheme " + scheme);
            }
            s = Metaspace.PrependScheme.NEVER;
        }
        return s;
    }

    private static TokenDecoder decoder(JsonNode n, String source, String where) throws IOException {
        if (n.isNull() || n.isMissingNode()) {
            return null;
        }
        String type = n.path("type").asText("");
        switch (type) {
            case "Replace":
                return new TokenDecoder.Replace(stringPattern(n, source, where), text(n, "content", source, where));
            case "ByteFallback":
                return new TokenDecoder.ByteFallback();
            case "Fuse":
                return new TokenDecoder.Fuse();
            case "Strip":
                return new TokenDecoder.Strip(text(n, "content", source, where), n.path("start").asInt(0),
                        n.path("stop").asInt(0));
            case "Metaspace":
                return new TokenDecoder.MetaspaceDecoder(text(n, "replacement", source, where),
                        prependScheme(n, source, where));
            case "Sequence": {
                List<TokenDecoder> steps = new ArrayList<>();
                int i = 0;
                for (JsonNode s : n.path("decoders")) {
                    TokenDecoder step = decoder(s, source, where + ".decoders[" + i++ + "]");
                    if (step != null) {
                        steps.add(step);
                    }
                }
                return new TokenDecoder.Sequence(steps);
            }
            default:
                throw new IOException(source + ": " + where + " type '" + type + "' is not supported for a SentencePiece-style"
                        + " model; supported: Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence");
        }
    }

    /** The ids TemplateProcessing's {@code single} template puts before and after the text. */
    private static int[][] template(JsonNode n, String source) throws IOException {
        IntArray before = new IntArray(2);
        IntArray after = new IntArray(2);
        if (n.isNull() || n.isMissingNode()) {
            return new int[][] {before.toArray(), after.toArray()};
        }
        String type = n.path("type").asText("");
        if (!"TemplateProcessing".equals(type)) {
            throw new IOException(source + ": post_processor type '" + type + "' is not supported for a SentencePiece-style"
                    + " model; supported: TemplateProcessing or none");
        }
        Map<String, int[]> specials = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.path("special_tokens").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode ids = e.getValue().path("ids");
            int[] out = new int[ids.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = TokenizerJson.tokenId(ids.get(i), source, "post_processor.special_tokens." + e.getKey() + ".ids[" + i + "]");
            }
            specials.put(e.getKey(), out);
        }
        boolean seenSequence = false;
        int i = 0;
        for (JsonNode item : n.path("single")) {
            if (item.has("Sequence")) {
                if (seenSequence || !"A".equals(item.path("Sequence").path("id").asText())) {
                    throw new IOException(source + ": post_processor.single[" + i + "]: the single template must hold"
                            + " sequence A exactly once, got " + item);
                }
                seenSequence = true;
            } else if (item.has("SpecialToken")) {
                String name = item.path("SpecialToken").path("id").asText();
                int[] ids = specials.get(name);
                if (ids == null) {
                    throw new IOException(source + ": post_processor.single[" + i + "] names special token '" + name
                            + "', which post_processor.special_tokens does not define");
                }
                for (int id : ids) {
                    (seenSequence ? after : before).add(id);
                }
            } else {
                throw new IOException(source + ": post_processor.single[" + i + "] must be a Sequence or a SpecialToken, got "
                        + item);
            }
            i++;
        }
        if (!seenSequence) {
            throw new IOException(source + ": post_processor.single has no Sequence A");
        }
        return new int[][] {before.toArray(), after.toArray()};
    }

    private static String text(JsonNode n, String field, String source, String where) throws IOException {
        JsonNode f = n.path(field);
        if (!f.isTextual()) {
            throw new IOException(source + ": " + where + "." + field + " must be a string, got "
                    + (f.isMissingNode() ? "nothing" : f.toString()));
        }
        return f.textValue();
    }

    private static String stringPattern(JsonNode n, String source, String where) throws IOException {
        JsonNode p = n.path("pattern");
        if (p.has("String") && p.get("String").isTextual() && !p.get("String").textValue().isEmpty()) {
            return p.get("String").textValue();
        }
        throw new IOException(source + ": " + where + ".pattern must be a non-empty {\"String\": ...} pattern"
                + " (regex patterns are not supported), got " + p);
    }
}
