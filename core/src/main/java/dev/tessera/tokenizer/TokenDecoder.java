package dev.tessera.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The decoders of a SentencePiece-style tokenizer.json: {@code Replace}, {@code ByteFallback},
 * {@code Fuse}, {@code Strip}, {@code Metaspace} and {@code Sequence}. Like Hugging Face's they
 * turn the list of token strings into a list of strings, step by step; here the strings are
 * held as UTF-8 bytes so that byte-fallback tokens can give back raw bytes
 * ({@link Tokenizer#decodeBytes}). On valid UTF-8 every step does what the Hugging Face step
 * does on the text.
 */
sealed interface TokenDecoder {

    /**
     * One decoding step.
     *
     * @param lossy how {@link ByteFallback} treats a run of byte tokens that is not valid UTF-8:
     *     one U+FFFD per byte (Hugging Face) when true, the raw bytes when false
     */
    List<byte[]> decode(List<byte[]> tokens, boolean lossy);

    /** Replaces every occurrence of {@code pattern} in each token with {@code content}. */
    record Replace(String pattern, String content) implements TokenDecoder {
        public Replace {
            if (pattern.isEmpty()) {
                throw new IllegalArgumentException("Replace pattern must not be empty");
            }
        }

        @Override
        public List<byte[]> decode(List<byte[]> tokens, boolean lossy) {
            byte[] p = pattern.getBytes(StandardCharsets.UTF_8);
            byte[] c = content.getBytes(StandardCharsets.UTF_8);
            List<byte[]> out = new ArrayList<>(tokens.size());
            for (byte[] t : tokens) {
                out.add(replaceBytes(t, p, c));
            }
            return out;
        }
    }

    /**
     * Tokens spelled {@code <0xAB>} become the byte 0xAB; each run of them becomes one token
     * (the bytes of one or more characters).
     */
    record ByteFallback() implements TokenDecoder {
        private static final byte[] REPLACEMENT = "\uFFFD".getBytes(StandardCharsets.UTF_8);

        @Override
        public List<byte[]> decode(List<byte[]> tokens, boolean lossy) {
            List<byte[]> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream run = new ByteArrayOutputStream();
            for (byte[] t : tokens) {
                int b = byteToken(t);
                if (b >= 0) {
                    run.write(b);
                    continue;
                }
                flush(run, out, lossy);
                out.add(t);
            }
            flush(run, out, lossy);
            return out;
        }

        private static void flush(ByteArrayOutputStream run, List<byte[]> out, boolean lossy) {
            if (run.size() == 0) {
                return;
            }
            byte[] bytes = run.toByteArray();
            run.reset();
            if (lossy && !validUtf8(bytes)) {
                for (int i = 0; i < bytes.length; i++) {
                    out.add(REPLACEMENT);
                }
            } else {
                out.add(bytes);
            }
        }
    }

    /** All tokens joined into one. */
    record Fuse() implements TokenDecoder {
        @Override
        public List<byte[]> decode(List<byte[]> tokens, boolean lossy) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (byte[] t : tokens) {
                all.writeBytes(t);
            }
            List<byte[]> out = new ArrayList<>(1);
            out.add(all.toByteArray());
            return out;
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing {@code content} characters from each token. */
    record Strip(String content, int start, int stop) implements TokenDecoder {
        public Strip {
            if (content.isEmpty() || content.codePointCount(0, content.length()) != 1) {
                throw new IllegalArgumentException("Strip content must be one character, got '" + content + "'");
            }
            if (start < 0 || stop < 0) {
                throw new IllegalArgumentException("Strip start and stop must be >= 0, got " + start + " and " + stop);
            }
        }

        @Override
        public List<byte[]> decode(List<byte[]> tokens, boolean lossy) {
            byte[] c = content.getBytes(StandardCharsets.UTF_8);
            List<byte[]> out = new ArrayList<>(tokens.size());
            for (byte[] t : tokens) {
                int from = 0;
                for (int k = 0; k < start && startsWith(t, from, c); k++) {
                    from += c.length;
                }
                int to = t.length;
                for (int k = 0; k < stop && to - c.length >= from && startsWith(t, to - c.length, c); k++) {
                    to -= c.length;
                }
                out.add(Arrays.copyOfRange(t, from, to));
            }
            return out;
        }
    }

    /**
     * The meta symbol becomes a space, except in the first token, where every meta symbol is
     * dropped unless the scheme is {@code NEVER} (Hugging Face's rule, which removes the
     * prepended one).
     */
    record MetaspaceDecoder(String replacement, Metaspace.PrependScheme scheme) implements TokenDecoder {
        @Override
        public List<byte[]> decode(List<byte[]> tokens, boolean lossy) {
            byte[] r = replacement.getBytes(StandardCharsets.UTF_8);
            byte[] space = {' '};
            List<byte[]> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                boolean drop = i == 0 && scheme != Metaspace.PrependScheme.NEVER;
                out.add(replaceBytes(tokens.get(i), r, drop ? new byte[0] : space));
            }
            return out;
        }
    }

    /** The decoders in order. */
    record Sequence(List<TokenDecoder> steps) implements TokenDecoder {
        public Sequence {
            steps = List.copyOf(steps);
        }

        @Override
        public List<byte[]> decode(List<byte[]> tokens, boolean lossy) {
            for (TokenDecoder d : steps) {
                tokens = d.decode(tokens, lossy);
            }
            return tokens;
        }
    }

    /** The byte of a token spelled {@code <0xAB>} (two hex digits), or -1. */
    static int byteToken(byte[] t) {
        if (t.length != 6 || t[0] != '<' || t[1] != '0' || t[2] != 'x' || t[5] != '>') {
            return -1;
        }
        int hi = Character.digit(t[3], 16);
        int lo = Character.digit(t[4], 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private static boolean startsWith(byte[] t, int at, byte[] p) {
        if (at < 0 || at + p.length > t.length) {
            return false;
        }
        for (int k = 0; k < p.length; k++) {
            if (t[at + k] != p[k]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] replaceBytes(byte[] t, byte[] p, byte[] c) {
        ByteArrayOutputStream out = null;
        int from = 0;
        for (int i = 0; i + p.length <= t.length; ) {
            if (startsWith(t, i, p)) {
                if (out == null) {
                    out = new ByteArrayOutputStream(t.length);
                }
                out.write(t, from, i - from);
                out.writeBytes(c);
                i += p.length;
                from = i;
            } else {
                i++;
            }
        }
        if (out == null) {
            return t;
        }
        out.write(t, from, t.length - from);
        return out.toByteArray();
    }

    private static boolean validUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
