package dev.tessera.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A SentencePiece-style tokenizer as Hugging Face's tokenizer.json describes it (Llama 2,
 * Mistral, Gemma, T5-style Unigram files): text is cut at added tokens, each stretch between
 * them is normalized ({@link TextNormalizer}), pre-tokenized ({@link Metaspace}, or left whole)
 * and tokenized by the model ({@link SentencePieceBpe} or {@link UnigramModel}); decoding runs
 * the file's {@link TokenDecoder}s.
 *
 * <p>{@link #encode(String)} and {@link #encode(String, Set)} add the post-processor's tokens
 * (Llama's {@code <s>} in front: Hugging Face's {@code add_special_tokens=True});
 * {@link #encodeOrdinary(String)} does not. Special tokens spelled in the text are ordinary text
 * unless allowed per call; added tokens that are not special are always recognised, as in
 * Hugging Face. Spans of post-processor tokens are empty, at the start or the end of the text.
 *
 * <p>Decoding gives each id's token to the decoders (special tokens included, as their text).
 * {@link #decodeLossy} follows Hugging Face exactly: a run of byte tokens that is not valid
 * UTF-8 becomes one U+FFFD per byte. {@link #decode} throws on such a run and
 * {@link #decodeBytes} returns its raw bytes. Without a decoder, tokens are joined with spaces
 * (Hugging Face's default).
 */
final class SentencePieceTokenizer implements Tokenizer {
    private final TextNormalizer normalizer;
    private final Metaspace preTokenizer;
    private final SubwordModel model;
    private final TokenDecoder decoder;
    private final AddedVocabulary added;
    /** Text of every id (null for unassigned ids). */
    private final String[] tokens;
    private final Map<String, Integer> specials;
    private final int[] templatePrefix;
    private final int[] templateSuffix;

    /**
     * @param normalizer null for none
     * @param preTokenizer null to give each stretch of text to the model whole
     * @param decoder null to join tokens with spaces
     * @param tokens text of every id, null for unassigned ids
     * @param templatePrefix ids the post-processor puts before the text
     * @param templateSuffix ids the post-processor puts after it
     */
    SentencePieceTokenizer(TextNormalizer normalizer, Metaspace preTokenizer, SubwordModel model, TokenDecoder decoder,
                           AddedVocabulary added, String[] tokens, int[] templatePrefix, int[] templateSuffix) {
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.decoder = decoder;
        this.added = added;
        this.tokens = tokens.clone();
        Map<String, Integer> sp = new LinkedHashMap<>();
        for (AddedVocabulary.Entry e : added.entries()) {
            if (e.special()) {
                sp.put(e.content(), e.id());
            }
        }
        this.specials = Collections.unmodifiableMap(sp);
        this.templatePrefix = templatePrefix.clone();
        this.templateSuffix = templateSuffix.clone();
    }

    @Override
    public int[] encode(String text) {
        return run(text, Set.of(), true).ids();
    }

    @Override
    public int[] encode(String text, Set<String> allowedSpecial) {
        return run(text, allowedSpecial, true).ids();
    }

    @Override
    public int[] encodeOrdinary(String text) {
        return run(text, Set.of(), false).ids();
    }

    @Override
    public Encoded encodeWithSpans(String text, Set<String> allowedSpecial) {
        return run(text, allowedSpecial, true);
    }

    /**
     * Like {@link #encode(String, Set)} without the post-processor's tokens (Hugging Face's
     * {@code add_special_tokens=False} with the allowed special tokens recognised).
     */
    int[] encodeWithoutTemplate(String text, Set<String> allowedSpecial) {
        return run(text, allowedSpecial, false).ids();
    }

    private Encoded run(String text, Set<String> allowedSpecial, boolean template) {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
        Set<String> allowed = allowedSpecial == null ? Set.of() : allowedSpecial;
        for (String s : allowed) {
            if (!specials.containsKey(s)) {
                throw new IllegalArgumentException("allowedSpecial contains '" + s
                        + "', which is not a special token of this tokenizer; special tokens: " + specials.keySet());
            }
        }
        Out out = new Out(text.length());
        if (template) {
            for (int id : templatePrefix) {
                out.add(id, 0, 0);
            }
        }
        int pos = 0;
        for (AddedVocabulary.Match m : added.find(text, false, allowed)) {
            if (pos < m.start()) {
                stretch(text, pos, m.start(), allowed, out);
            }
            out.add(m.token().id(), m.start(), m.end());
            pos = m.end();
        }
        if (pos < text.length()) {
            stretch(text, pos, text.length(), allowed, out);
        }
        if (template) {
            for (int id : templateSuffix) {
                out.add(id, text.length(), text.length());
            }
        }
        return new Encoded(out.ids.toArray(), out.starts.toArray(), out.ends.toArray());
    }

    /** Text between raw-text added tokens: normalize, cut at normalized added tokens, tokenize. */
    private void stretch(String text, int from, int to, Set<String> allowed, Out out) {
        NormalizedText t = NormalizedText.of(text, from, to);
        if (normalizer != null) {
            t = normalizer.apply(t);
        }
        if (t.isEmpty()) {
            return;
        }
        int pos = 0;
        for (AddedVocabulary.Match m : added.find(t.text, true, allowed)) {
            if (pos < m.start()) {
                words(t.slice(pos, m.start()), out);
            }
            out.add(m.token().id(), t.starts[m.start()], t.ends[m.end() - 1]);
            pos = m.end();
        }
        if (pos < t.length()) {
            words(pos == 0 ? t : t.slice(pos, t.length()), out);
        }
    }

    private void words(NormalizedText t, Out out) {
        List<NormalizedText> words;
        if (preTokenizer == null) {
            words = List.of(t);
        } else {
            words = preTokenizer.preTokenize(t);
        }
        IntArray ids = new IntArray(16);
        IntArray starts = new IntArray(16);
        IntArray ends = new IntArray(16);
        for (NormalizedText w : words) {
            ids.size = 0;
            starts.size = 0;
            ends.size = 0;
            model.tokenize(w.text, ids, starts, ends);
            for (int k = 0; k < ids.size; k++) {
                out.add(ids.a[k], w.starts[starts.a[k]], w.ends[ends.a[k] - 1]);
            }
        }
    }

    private static final class Out {
        final IntArray ids;
        final IntArray starts;
        final IntArray ends;

        Out(int capacity) {
            ids = new IntArray(capacity);
            starts = new IntArray(capacity);
            ends = new IntArray(capacity);
        }

        void add(int id, int start, int end) {
            ids.add(id);
            starts.add(start);
            ends.add(end);
        }
    }

    @Override
    public String decode(int[] ids) {
        return BpeTokenizer.strictUtf8(decoded(ids, false), ids, null);
    }

    @Override
    public String decodeLossy(int[] ids) {
        return new String(decoded(ids, true), StandardCharsets.UTF_8);
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        return decoded(ids, false);
    }

    private byte[] decoded(int[] ids, boolean lossy) {
        if (ids == null) {
            throw new IllegalArgumentException("ids must not be null");
        }
        List<byte[]> pieces = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id < 0 || id >= tokens.length || tokens[id] == null) {
                throw new IllegalArgumentException("ids[" + i + "] = " + id + " is not a token id; expected 0 <= id < "
                        + tokens.length + " and an assigned id");
            }
            pieces.add(tokens[id].getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (decoder == null) {
            for (int i = 0; i < pieces.size(); i++) {
                if (i > 0) {
                    out.write(' ');
                }
                out.writeBytes(pieces.get(i));
            }
        } else {
            for (byte[] p : decoder.decode(pieces, lossy)) {
                out.writeBytes(p);
            }
        }
        return out.toByteArray();
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return specials;
    }
}
