package dev.tessera.tokenizer;

import dev.tessera.core.Require;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Byte-level BPE tokenizer: special-token segmentation, then a {@link PieceScanner}, then
 * UTF-8, then {@link BpeVocab} merging. Text is converted to UTF-8 one piece at a time into
 * a reused buffer (no per-piece allocation); a lone surrogate becomes U+FFFD's bytes, which
 * is what tiktoken does after Python's surrogate replacement.
 */
final class BpeTokenizer implements Tokenizer {
    private final BpeVocab vocab;
    private final PieceScanner scanner;
    private final Map<String, Integer> specials;
    private final boolean addPrefixSpace;
    /** Whether the scanner drops text between pieces (only a Removed/invert Split regex does). */
    private final boolean skipsGaps;

    BpeTokenizer(BpeVocab vocab, PieceScanner scanner, Map<String, Integer> specials, boolean addPrefixSpace) {
        this.vocab = vocab;
        this.scanner = scanner;
        this.specials = Collections.unmodifiableMap(new LinkedHashMap<>(specials));
        this.addPrefixSpace = addPrefixSpace;
        this.skipsGaps = scanner instanceof RegexScanner r && r.removesGaps();
        for (Map.Entry<String, Integer> e : specials.entrySet()) {
            if (!vocab.isValid(e.getValue())) {
                throw new IllegalArgumentException("special token " + e.getKey() + " has id " + e.getValue()
                        + " which has no bytes in the vocabulary of size " + vocab.size());
            }
        }
    }

    BpeVocab vocab() {
        return vocab;
    }

    PieceScanner scanner() {
        return scanner;
    }

    @Override
    public int[] encodeOrdinary(String text) {
        requireText(text);
        IntArray out = new IntArray(text.length() / 3 + 4);
        Work w = work.get();
        String t = prefixed(text);
        encodeSegment(t, 0, t.length(), out, w, null);
        w.trimmed();
        return out.toArray();
    }

    /**
     * {@link #encodeOrdinary(String)} that counts its work into {@code count}: the characters
     * the scanner reads and the merge steps (see {@link EncodeWork}). It runs on fresh scratch
     * state (an empty piece cache) rather than the thread's, so the count depends only on the
     * text, and the thread's cache is left as it was. For complexity tests.
     */
    int[] encodeOrdinary(String text, EncodeWork count) {
        requireText(text);
        Require.nonNull("count", count);
        IntArray out = new IntArray(text.length() / 3 + 4);
        String t = prefixed(text);
        encodeSegment(t, 0, t.length(), out, new Work(count), null);
        return out.toArray();
    }

    @Override
    public int[] encode(String text, Set<String> allowedSpecial) {
        requireText(text);
        if (allowedSpecial == null || allowedSpecial.isEmpty()) {
            return encodeOrdinary(text);
        }
        return encodeNormalized(text, allowedSpecial, null);
    }

    /**
     * Like {@link #encode(String, Set)}, with {@code normalize} applied to each run of text
     * between allowed special tokens (never across one, so a normaliser cannot change the
     * spelling of a special token); {@code null} means no normalisation.
     */
    int[] encodeNormalized(String text, Set<String> allowedSpecial, UnaryOperator<String> normalize) {
        requireText(text);
        IntArray out = new IntArray(text.length() / 3 + 4);
        run(prefixed(text), allowedSpecial == null ? Set.of() : allowedSpecial, out, null, normalize);
        return out.toArray();
    }

    @Override
    public Encoded encodeWithSpans(String text, Set<String> allowedSpecial) {
        return encodeWithSpans(text, allowedSpecial, null);
    }

    /**
     * {@link #encodeWithSpans(String, Set)} with {@code normalize} applied as in
     * {@link #encodeNormalized}. Spans refer to the original text: tokens of a run that the
     * normaliser changed all span that whole run.
     */
    Encoded encodeWithSpans(String text, Set<String> allowedSpecial, UnaryOperator<String> normalize) {
        requireText(text);
        IntArray out = new IntArray(text.length() / 3 + 4);
        IntArray spans = new IntArray(2 * (text.length() / 3 + 4));
        String t = prefixed(text);
        run(t, allowedSpecial == null ? Set.of() : allowedSpecial, out, spans, normalize);
        int shift = t.length() - text.length(); // the added prefix space maps onto char 0
        int[] starts = new int[out.size];
        int[] ends = new int[out.size];
        for (int i = 0; i < out.size; i++) {
            starts[i] = Math.max(0, spans.a[2 * i] - shift);
            ends[i] = Math.max(0, spans.a[2 * i + 1] - shift);
        }
        return new Encoded(out.toArray(), starts, ends);
    }

    private String prefixed(String text) {
        return addPrefixSpace && !text.isEmpty() && text.charAt(0) != ' ' ? " " + text : text;
    }

    private static void requireText(String text) {
        Require.nonNull("text", text);
    }

    /** Splits text at allowed special tokens (leftmost; longest on ties) and encodes the rest. */
    private void run(String text, Set<String> allowed, IntArray out, IntArray spans, UnaryOperator<String> normalize) {
        String[] toks = allowed.toArray(new String[0]);
        int[] ids = new int[toks.length];
        int[] next = new int[toks.length];
        for (int i = 0; i < toks.length; i++) {
            Integer id = specials.get(toks[i]);
            if (id == null) {
                throw new IllegalArgumentException("allowedSpecial contains " + quote(toks[i])
                        + " which is not a special token; expected one of " + specials.keySet());
            }
            ids[i] = id;
            next[i] = toks[i].isEmpty() ? -1 : text.indexOf(toks[i]);
        }
        Work w = work.get();
        int pos = 0;
        while (true) {
            int best = -1;
            for (int i = 0; i < toks.length; i++) {
                if (next[i] >= 0 && next[i] < pos) {
                    next[i] = text.indexOf(toks[i], pos);
                }
                if (next[i] >= 0 && (best < 0 || next[i] < next[best]
                        || (next[i] == next[best] && toks[i].length() > toks[best].length()))) {
                    best = i;
                }
            }
            int end = best < 0 ? text.length() : next[best];
            encodeSegment(text, pos, end, out, w, spans, normalize);
            if (best < 0) {
                w.trimmed();
                return;
            }
            out.add(ids[best]);
            pos = end + toks[best].length();
            if (spans != null) {
                spans.add(end);
                spans.add(pos);
            }
        }
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    /** Per-call scratch state. */
    static final class Work {
        final BpeVocab.Scratch scratch;

        Work() {
            this(null);
        }

        /** @param count where to count the work, or null (production) */
        Work(EncodeWork count) {
            scratch = new BpeVocab.Scratch(count);
        }

        /** Drops buffers grown by a huge piece, so a thread does not keep megabytes alive. */
        Work trimmed() {
            if (scratch.buf.length > (1 << 16)) {
                scratch.buf = new byte[256];
            }
            return this;
        }
    }

    /** Per-thread scratch state and piece cache, so a tokenizer can be shared by threads. */
    private final ThreadLocal<Work> work = ThreadLocal.withInitial(Work::new);

    /** Encodes text[from, to) after {@code normalize} (if not null); spans of a changed run cover all of it. */
    private void encodeSegment(String text, int from, int to, IntArray out, Work w, IntArray spans,
                               UnaryOperator<String> normalize) {
        if (normalize != null && from < to) {
            String run = text.substring(from, to);
            String normalized = normalize.apply(run);
            if (!normalized.equals(run)) {
                int before = out.size;
                encodeSegment(normalized, 0, normalized.length(), out, w, null);
                for (int t = before; spans != null && t < out.size; t++) {
                    spans.add(from);
                    spans.add(to);
                }
                return;
            }
        }
        encodeSegment(text, from, to, out, w, spans);
    }

    void encodeSegment(String text, int from, int to, IntArray out, Work w, IntArray spans) {
        if (skipsGaps) {
            encodeSegmentSkippingGaps(text, from, to, out, w, spans);
            return;
        }
        EncodeWork count = w.scratch.count;
        int i = from;
        while (i < to) {
            // a String-typed argument unless work is counted, so the inlined scanner needs no type check
            int e = count == null ? scanner.next(text, i, to) : scanner.next(count.reading(text), i, to);
            encodePiece(text, i, e, out, w, spans);
            i = e;
        }
    }

    /** Encodes the pre-token text[i, e) and, when wanted, its spans. */
    private void encodePiece(String text, int i, int e, IntArray out, Work w, IntArray spans) {
        int n = utf8(text, i, e, w);
        int before = out.size;
        vocab.encodePiece(w.scratch.buf, n, out, w.scratch);
        if (spans != null) {
            addSpans(text, i, e, out, before, spans);
        }
    }

    /** {@link #encodeSegment} for a scanner that drops the text between pieces. */
    private void encodeSegmentSkippingGaps(String text, int from, int to, IntArray out, Work w, IntArray spans) {
        CharSequence scanned = scannedText(text, w);
        int i = scanner.skip(scanned, from, to);
        while (i < to) {
            int e = scanner.next(scanned, i, to);
            encodePiece(text, i, e, out, w, spans);
            i = scanner.skip(scanned, e, to);
        }
    }

    /** The text as the scanner reads it: itself, or a view counting the reads when work is counted. */
    private static CharSequence scannedText(String text, Work w) {
        EncodeWork count = w.scratch.count;
        return count == null ? text : count.reading(text);
    }

    /**
     * Char spans of the tokens out[before..] of the piece text[from, to): each token spans the
     * chars that its first and last byte came from. Walks the piece once, char by char, in
     * step with the token bytes, so it needs no per-byte table (a huge piece would need four
     * bytes of table per byte).
     */
    private void addSpans(String text, int from, int to, IntArray out, int before, IntArray spans) {
        int c = from;                 // char whose UTF-8 bytes start at byte cb of the piece
        int cb = 0;
        int b = 0;                    // first byte of the current token
        for (int t = before; t < out.size; t++) {
            int len = vocab.tokenLength(out.a[t]);
            while (cb + Utf8.width(text, c, to) <= b) {
                cb += Utf8.width(text, c, to);
                c += PieceScanner.widthAt(text, c, to);
            }
            spans.add(c);
            int last = b + len - 1;
            int lc = c;
            int lcb = cb;
            while (lcb + Utf8.width(text, lc, to) <= last) {
                lcb += Utf8.width(text, lc, to);
                lc += PieceScanner.widthAt(text, lc, to);
            }
            spans.add(lc + PieceScanner.widthAt(text, lc, to));
            b += len;
        }
    }

    /** UTF-8 of text[from, to) into w.scratch.buf; returns the byte count. */
    private static int utf8(String s, int from, int to, Work w) {
        int need = 3 * (to - from);
        if (w.scratch.buf.length < need) {
            // 3 bytes per char always suffice; a huge piece gets its exact size instead
            w.scratch.buf = new byte[to - from > (1 << 16) ? Utf8.length(s, from, to) : Math.max(need, 2 * w.scratch.buf.length)];
        }
        return Utf8.encode(s, from, to, w.scratch.buf);
    }

    /**
     * BPE of raw bytes with no pre-tokenisation (one piece). Any byte string round-trips:
     * {@code decodeBytes(encodeBytes(b))} equals {@code b}.
     */
    int[] encodeBytes(byte[] bytes) {
        IntArray out = new IntArray(bytes.length / 2 + 4);
        if (bytes.length > 0) {
            vocab.encodePiece(bytes, bytes.length, out, work.get().scratch);
        }
        return out.toArray();
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        Require.nonNull("ids", ids);
        long total = 0;
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (!vocab.isValid(id)) {
                throw new IllegalArgumentException("ids[" + i + "] = " + id + " is not a token id; expected 0 <= id < "
                        + vocab.size() + " and an assigned id");
            }
            total += vocab.tokenLength(id);
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("decoded size " + total + " bytes exceeds the maximum array size");
        }
        byte[] out = new byte[(int) total];
        int p = 0;
        for (int id : ids) {
            vocab.copyBytes(id, out, p);
            p += vocab.tokenLength(id);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        byte[] bytes = decodeBytes(ids);
        return strictUtf8(bytes, ids, this);
    }

    @Override
    public String decodeLossy(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /** Strict UTF-8 decoding whose error names the byte offset and the token that holds it. */
    static String strictUtf8(byte[] bytes, int[] ids, BpeTokenizer tok) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = dec.decode(in, out, true);
        if (!r.isError()) {
            r = dec.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            int tokenIndex = -1;
            if (tok != null) {
                int p = 0;
                for (int i = 0; i < ids.length; i++) {
                    p += tok.vocab.tokenLength(ids[i]);
                    if (p > at) {
                        tokenIndex = i;
                        break;
                    }
                }
            }
            throw new IllegalArgumentException("ids do not decode to valid UTF-8: invalid byte sequence at byte offset "
                    + at + (tokenIndex >= 0 ? " (in ids[" + tokenIndex + "] = " + ids[tokenIndex] + ")" : "")
                    + "; use decodeLossy for U+FFFD replacement or decodeBytes for raw bytes");
        }
        out.flip();
        return out.toString();
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return specials;
    }
}
