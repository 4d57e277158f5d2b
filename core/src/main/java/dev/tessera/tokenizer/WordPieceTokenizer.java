package dev.tessera.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.core.Require;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * BERT WordPiece: BertNormalizer, BertPreTokenizer (split on whitespace, isolate each
 * punctuation character), greedy longest-match-first WordPiece with the {@code ##} prefix,
 * and the {@code [CLS] A [SEP]} post-processor, with Hugging Face's character rules:
 * whitespace is Unicode White_Space (U+2028 and U+2029 included); clean-up drops categories
 * Cc, Cf and Co but keeps unassigned code points (they become {@code [UNK]}); punctuation is
 * tested on the normalised characters, after accent stripping; the CJK ranges skip
 * U+2B820..U+2B91F. Categories come from the running JDK (see the package documentation on
 * Unicode versions).
 *
 * <p>{@link #encode(String)} and {@link #encode(String, Set)} add {@code [CLS]}/{@code [SEP]}
 * (Hugging Face's {@code add_special_tokens=True}); {@link #encodeOrdinary(String)} does not.
 * Special tokens spelled in the text ({@code [MASK]}) are ordinary text unless allowed per
 * call. Decoding joins tokens with spaces and glues {@code ##} continuations, like Hugging
 * Face's WordPiece decoder without clean-up.
 *
 * <p>With the vocabulary {@code [PAD] [UNK] [CLS] [SEP] [MASK] hello world un ##aff ##able !}
 * (ids 0..10), {@code encode("Hello, UNAFFABLE world!")} gives
 * {@code [2, 5, 1, 7, 8, 9, 6, 10, 3]} ({@code ,} is not in that vocabulary).
 */
final class WordPieceTokenizer implements Tokenizer {
    private final Map<String, Integer> vocab;
    private final String[] byId;
    private final WordPieceConfig config;
    private final Map<String, Integer> specials;
    private final int unkId;

    WordPieceTokenizer(Map<String, Integer> vocab, WordPieceConfig config, Set<String> specialTokens) {
        this.vocab = new HashMap<>(vocab);
        this.config = config;
        int max = -1;
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty() || e.getValue() == null) {
                throw new IllegalArgumentException("vocab entries must be a non-empty token and an id, got "
                        + e.getKey() + " -> " + e.getValue());
            }
            int id = e.getValue();
            if (id < 0 || id > TokenizerJson.MAX_TOKEN_ID) {
                throw new IllegalArgumentException("vocab id of " + e.getKey() + " must be in [0, "
                        + TokenizerJson.MAX_TOKEN_ID + "], got " + id);
            }
            max = Math.max(max, id);
        }
        byId = new String[max + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (byId[e.getValue()] != null) {
                throw new IllegalArgumentException("vocab id " + e.getValue() + " is used by both "
                        + byId[e.getValue()] + " and " + e.getKey());
            }
            byId[e.getValue()] = e.getKey();
        }
        Integer unk = vocab.get(config.unkToken());
        if (unk == null) {
            throw new IllegalArgumentException("unkToken " + config.unkToken() + " is not in the vocab");
        }
        unkId = unk;
        Map<String, Integer> sp = new LinkedHashMap<>();
        for (String s : specialTokens) {
            Integer id = vocab.get(s);
            if (id == null) {
                throw new IllegalArgumentException("special token " + s + " is not in the vocab");
            }
            sp.put(s, id);
        }
        for (String s : new String[] {config.clsToken(), config.sepToken()}) {
            if (s != null && !vocab.containsKey(s)) {
                throw new IllegalArgumentException("post-processor token " + s + " is not in the vocab");
            }
        }
        specials = Collections.unmodifiableMap(sp);
    }

    static WordPieceTokenizer fromJson(JsonNode root, JsonNode model, String source) throws IOException {
        Map<String, Integer> vocab = new HashMap<>();
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject()) {
            throw new IOException(source + ": model.vocab must be an object of token -> id, got " + vocabNode.getNodeType());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), TokenizerJson.tokenId(e.getValue(), source, "model.vocab entry " + e.getKey()));
        }
        JsonNode norm = root.path("normalizer");
        boolean lower = false;
        boolean strip = false;
        boolean clean = false;
        boolean chinese = false;
        if (!norm.isMissingNode() && !norm.isNull()) {
            if (!"BertNormalizer".equals(norm.path("type").asText())) {
                throw new IOException(source + ": unsupported normalizer for WordPiece: " + norm.path("type").asText());
            }
            lower = norm.path("lowercase").asBoolean(true);
            JsonNode sa = norm.path("strip_accents");
            strip = sa.isNull() || sa.isMissingNode() ? lower : sa.asBoolean();
            clean = norm.path("clean_text").asBoolean(true);
            chinese = norm.path("handle_chinese_chars").asBoolean(true);
        }
        String pre = root.path("pre_tokenizer").path("type").asText("BertPreTokenizer");
        if (!"BertPreTokenizer".equals(pre)) {
            throw new IOException(source + ": unsupported pre_tokenizer for WordPiece: " + pre);
        }
        String cls = null;
        String sep = null;
        JsonNode post = root.path("post_processor");
        String pt = post.path("type").asText("");
        if ("BertProcessing".equals(pt)) {
            cls = post.path("cls").path(0).textValue();
            sep = post.path("sep").path(0).textValue();
            if (cls == null || sep == null) {
                throw new IOException(source + ": BertProcessing needs cls and sep as [token, id], got cls "
                        + post.path("cls") + ", sep " + post.path("sep"));
            }
        } else if ("TemplateProcessing".equals(pt)) {
            List<String> seq = new ArrayList<>();
            for (JsonNode item : post.path("single")) {
                if (item.has("SpecialToken")) {
                    seq.add(item.get("SpecialToken").path("id").asText());
                } else {
                    seq.add("$A");
                }
            }
            if (seq.size() != 3 || !"$A".equals(seq.get(1))) {
                throw new IOException(source + ": only the single-sequence template [CLS] $A [SEP] is supported, got " + seq);
            }
            cls = seq.get(0);
            sep = seq.get(2);
        } else if (!pt.isEmpty()) {
            throw new IOException(source + ": unsupported post_processor for WordPiece: " + pt);
        }
        JsonNode maxChars = model.path("max_input_chars_per_word");
        if (!maxChars.isMissingNode() && !maxChars.canConvertToInt()) {
            throw new IOException(source + ": model.max_input_chars_per_word must be an integer, got " + maxChars);
        }
        List<String> sp = new ArrayList<>();
        for (TokenizerJson.AddedToken t : TokenizerJson.addedTokens(root, vocab, source)) {
            if (!vocab.containsKey(t.content())) {
                throw new IOException(source + ": added token " + t.content() + " (id " + t.id()
                        + ") is not in model.vocab; WordPiece files keep every token in the vocabulary");
            }
            if (t.special()) {
                sp.add(t.content());
            }
        }
        try {
            WordPieceConfig cfg = new WordPieceConfig(lower, strip, clean, chinese,
                    model.path("unk_token").asText("[UNK]"), model.path("continuing_subword_prefix").asText("##"),
                    maxChars.isMissingNode() ? 100 : maxChars.intValue(), cls, sep);
            return new WordPieceTokenizer(vocab, cfg, Set.copyOf(sp));
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": " + e.getMessage(), e);
        }
    }

    // ---- normalisation and pre-tokenisation, with char offsets into the original text ----

    /**
     * Hugging Face's BertNormalizer control test: general categories Cc, Cf and Co (its
     * {@code is_other}), except tab, newline and carriage return, which are whitespace.
     * Unassigned code points (Cn) are not controls: they are kept and become {@code [UNK]}.
     * Lone surrogates (Cs), which Rust strings cannot hold, are dropped with the controls.
     */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE
                || t == Character.SURROGATE;
    }

    /**
     * The Unicode White_Space property (Rust's {@code char::is_whitespace}, which Hugging Face's
     * BertNormalizer and BertPreTokenizer use). Unlike Java's SPACE_SEPARATOR it contains the
     * line and paragraph separators U+2028 and U+2029, U+0085 and the ASCII controls 0x09..0x0D.
     * The set has not changed since Unicode 6.3, so it is spelled out rather than taken from
     * the JVM's tables.
     */
    static boolean isWhitespace(int cp) {
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    /** BertPreTokenizer's punctuation: ASCII punctuation or a Unicode P* category. */
    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION:
            case Character.DASH_PUNCTUATION:
            case Character.START_PUNCTUATION:
            case Character.END_PUNCTUATION:
            case Character.INITIAL_QUOTE_PUNCTUATION:
            case Character.FINAL_QUOTE_PUNCTUATION:
            case Character.OTHER_PUNCTUATION:
                return true;
            default:
                return false;
        }
    }

    /**
     * The CJK ideograph ranges that BertNormalizer surrounds with spaces (Google BERT's and
     * Hugging Face's list; note that it skips U+2B820..U+2B91F).
     */
    static boolean isChineseChar(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /** One code point after clean-up, accent stripping and lowercasing (possibly several, or none). */
    private String normalize(int cp) {
        String norm = new String(Character.toChars(cp));
        if (config.stripAccents()) {
            String d = Normalizer.normalize(norm, Normalizer.Form.NFD);
            StringBuilder kept = new StringBuilder(d.length());
            d.codePoints().filter(c -> Character.getType(c) != Character.NON_SPACING_MARK).forEach(kept::appendCodePoint);
            norm = kept.toString();
        }
        if (config.lowercase()) {
            norm = norm.toLowerCase(Locale.ROOT);
        }
        return norm;
    }

    /**
     * Words of text[from, to) after normalisation: word strings and their original spans.
     * The steps follow Hugging Face's order: clean-up (drop controls, whitespace to ' '),
     * CJK isolation, accent stripping and lowercasing, then the pre-tokenizer splits the
     * normalised characters on whitespace and isolates punctuation. Punctuation is therefore
     * tested after accent stripping: U+2260 (not equal to) normalises to '=' and is isolated.
     */
    private void words(String text, int from, int to, List<String> words, IntArray spans) {
        StringBuilder word = new StringBuilder();
        int wordStart = -1;
        int wordEnd = -1;
        for (int i = from; i < to; ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (config.cleanText() && (cp == 0 || cp == 0xFFFD || isControl(cp))) {
                i = next;
                continue;
            }
            if (isWhitespace(cp)) {
                wordStart = flush(word, wordStart, wordEnd, words, spans);
                i = next;
                continue;
            }
            String norm = normalize(cp);
            if (config.handleChineseChars() && isChineseChar(cp)) {
                wordStart = flush(word, wordStart, wordEnd, words, spans);
                if (!norm.isEmpty()) {
                    words.add(norm);
                    spans.add(i);
                    spans.add(next);
                }
                i = next;
                continue;
            }
            for (int k = 0; k < norm.length(); ) {
                int c = norm.codePointAt(k);
                k += Character.charCount(c);
                if (isWhitespace(c)) {
                    wordStart = flush(word, wordStart, wordEnd, words, spans);
                } else if (isPunctuation(c)) {
                    wordStart = flush(word, wordStart, wordEnd, words, spans);
                    words.add(new String(Character.toChars(c)));
                    spans.add(i);
                    spans.add(next);
                } else {
                    if (wordStart < 0) {
                        wordStart = i;
                    }
                    word.appendCodePoint(c);
                    wordEnd = next;
                }
            }
            i = next;
        }
        flush(word, wordStart, wordEnd, words, spans);
    }

    private static int flush(StringBuilder word, int start, int end, List<String> words, IntArray spans) {
        if (word.length() > 0) {
            words.add(word.toString());
            spans.add(start);
            spans.add(end);
            word.setLength(0);
        }
        return -1;
    }

    /** Greedy longest-match-first WordPiece of one word. */
    private void wordPiece(String w, int start, int end, IntArray ids, IntArray spans) {
        if (w.codePointCount(0, w.length()) > config.maxInputCharsPerWord()) {
            ids.add(unkId);
            spans.add(start);
            spans.add(end);
            return;
        }
        int before = ids.size;
        int s = 0;
        while (s < w.length()) {
            int e = w.length();
            int found = -1;
            while (e > s) {
                String sub = s > 0 ? config.continuingSubwordPrefix() + w.substring(s, e) : w.substring(s, e);
                Integer id = vocab.get(sub);
                if (id != null) {
                    found = id;
                    break;
                }
                e = Character.isLowSurrogate(w.charAt(e - 1)) && e - 2 > s ? e - 2 : e - 1;
            }
            if (found < 0) {
                ids.size = before;
                spans.size = 2 * before;
                ids.add(unkId);
                spans.add(start);
                spans.add(end);
                return;
            }
            ids.add(found);
            // Sub-word spans: exact when normalisation kept the length, else the whole word.
            boolean exact = w.length() == end - start;
            spans.add(exact ? start + s : start);
            spans.add(exact ? start + e : end);
            s = e;
        }
    }

    private Encoded run(String text, Set<String> allowed, boolean addSpecial) {
        Require.nonNull("text", text);
        for (String a : allowed) {
            if (!specials.containsKey(a)) {
                throw new IllegalArgumentException("allowedSpecial contains \"" + a
                        + "\" which is not a special token; expected one of " + specials.keySet());
            }
        }
        IntArray ids = new IntArray(16);
        IntArray spans = new IntArray(32);
        if (addSpecial && config.clsToken() != null) {
            ids.add(vocab.get(config.clsToken()));
            spans.add(0);
            spans.add(0);
        }
        int pos = 0;
        List<String> words = new ArrayList<>();
        IntArray wspans = new IntArray(32);
        while (pos <= text.length()) {
            int next = text.length();
            String hit = null;
            for (String a : allowed) {
                int i = text.indexOf(a, pos);
                if (i >= 0 && (i < next || (i == next && hit != null && a.length() > hit.length()))) {
                    next = i;
                    hit = a;
                }
            }
            words.clear();
            wspans.size = 0;
            words(text, pos, next, words, wspans);
            for (int k = 0; k < words.size(); k++) {
                wordPiece(words.get(k), wspans.a[2 * k], wspans.a[2 * k + 1], ids, spans);
            }
            if (hit == null) {
                break;
            }
            ids.add(specials.get(hit));
            spans.add(next);
            spans.add(next + hit.length());
            pos = next + hit.length();
        }
        if (addSpecial && config.sepToken() != null) {
            ids.add(vocab.get(config.sepToken()));
            spans.add(text.length());
            spans.add(text.length());
        }
        int[] starts = new int[ids.size];
        int[] ends = new int[ids.size];
        for (int i = 0; i < ids.size; i++) {
            starts[i] = spans.a[2 * i];
            ends[i] = spans.a[2 * i + 1];
        }
        return new Encoded(ids.toArray(), starts, ends);
    }

    @Override
    public int[] encode(String text) {
        return run(text, Set.of(), true).ids();
    }

    @Override
    public int[] encode(String text, Set<String> allowedSpecial) {
        return run(text, allowedSpecial == null ? Set.of() : allowedSpecial, true).ids();
    }

    @Override
    public int[] encodeOrdinary(String text) {
        return run(text, Set.of(), false).ids();
    }

    /** Spans of {@code [CLS]} and {@code [SEP]} are empty, at the start and the end of the text. */
    @Override
    public Encoded encodeWithSpans(String text, Set<String> allowedSpecial) {
        return run(text, allowedSpecial == null ? Set.of() : allowedSpecial, true);
    }

    /** Token strings of ids. */
    String[] tokens(int[] ids) {
        Require.nonNull("ids", ids);
        String[] out = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id < 0 || id >= byId.length || byId[id] == null) {
                throw new IllegalArgumentException("ids[" + i + "] = " + id + " is not a token id; expected 0 <= id < "
                        + byId.length + " and an assigned id");
            }
            out[i] = byId[id];
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        String prefix = config.continuingSubwordPrefix();
        for (String t : tokens(ids)) {
            if (!prefix.isEmpty() && t.startsWith(prefix) && sb.length() > 0) {
                sb.append(t, prefix.length(), t.length());
            } else {
                if (sb.length() > 0) {
                    sb.append(' ');
                }
                sb.append(t);
            }
        }
        return sb.toString();
    }

    @Override
    public String decodeLossy(int[] ids) {
        return decode(ids);
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        return decode(ids).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return byId.length;
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return specials;
    }
}
