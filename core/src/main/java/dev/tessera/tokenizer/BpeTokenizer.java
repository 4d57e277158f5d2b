package dev.tessera.tokenizer;

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

    BpeTokenizer(BpeVocab vocab, PieceScanner scanner, Map<String, Integer> specials, boolean addPrefixSpace) {
        this.vocab = vocab;
        this.scanner = scanner;
        this.specials = Collections.unmodifiableMap(new LinkedHashMap<>(specials));
        this.addPrefixSpace = addPrefixSpace;
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

    @Override
    public int[] encode(String text, Set<String> allowedSpecial) {
        requireText(text);
        if (allowedSpecial == null || allowedSpecial.isEmpty()) {
            return encodeOrdinary(text);
        }
        IntArray out = new IntArray(text.length() / 3 + 4);
        run(prefixed(text), allowedSpecial, out, null);
        return out.toArray();
    }

    @Override
    public Encoded encodeWithSpans(String text, Set<String> allowedSpecial) {
        requireText(text);
        IntArray out = new IntArray(text.length() / 3 + 4);
        IntArray spans = new IntArray(2 * (text.length() / 3 + 4));
        String t = prefixed(text);
        run(t, allowedSpecial == null ? Set.of() : allowedSpecial, out, spans);
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
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
    }

    /** Splits text at allowed special tokens (leftmost; longest on ties) and encodes the rest. */
    private void run(String text, Set<String> allowed, IntArray out, IntArray spans) {
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
            encodeSegment(text, pos, end, out, w, spans);
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
        final BpeVocab.Scratch scratch = new BpeVocab.Scratch();
        int[] byteToChar = new int[256];

        /** Drops buffers grown by a huge piece, so a thread does not keep megabytes alive. */
        Work trimmed() {
            if (scratch.buf.length > (1 << 16)) {
                scratch.buf = new byte[256];
            }
            if (byteToChar.length > (1 << 16)) {
                byteToChar = new int[256];
            }
            return this;
        }
    }

    /** Per-thread scratch state and piece cache, so a tokenizer can be shared by threads. */
    private final ThreadLocal<Work> work = ThreadLocal.withInitial(Work::new);

    void encodeSegment(String text, int from, int to, IntArray out, Work w, IntArray spans) {
        int i = from;
        while (i < to) {
            int e = scanner.next(text, i, to);
            int n = utf8(text, i, e, w, spans != null);
            int before = out.size;
            vocab.encodePiece(w.scratch.buf, n, out, w.scratch);
            if (spans != null) {
                int b = 0;
                for (int t = before; t < out.size; t++) {
                    int len = vocab.tokenLength(out.a[t]);
                    int cs = w.byteToChar[b];
                    int last = w.byteToChar[b + len - 1];
                    spans.add(cs);
                    spans.add(last + PieceScanner.widthAt(text, last, to));
                    b += len;
                }
            }
            i = e;
        }
    }

    /** UTF-8 of text[from, to) into w.scratch.buf; returns the byte count. */
    private static int utf8(String s, int from, int to, Work w, boolean track) {
        int need = 3 * (to - from);
        if (w.scratch.buf.length < need) {
            w.scratch.buf = new byte[Math.max(need, 2 * w.scratch.buf.length)];
        }
        if (!track) {
            return Utf8.encode(s, from, to, w.scratch.buf);
        }
        if (w.byteToChar.length < need) {
            w.byteToChar = new int[Math.max(need, 2 * w.byteToChar.length)];
        }
        return Utf8.encode(s, from, to, w.scratch.buf, w.byteToChar);
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
        if (ids == null) {
            throw new IllegalArgumentException("ids must not be null");
        }
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
