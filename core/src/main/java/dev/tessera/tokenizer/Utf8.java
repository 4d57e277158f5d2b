package dev.tessera.tokenizer;

/** UTF-8 encoding of a char range into a caller's buffer (lone surrogates become U+FFFD). */
final class Utf8 {
    private Utf8() {
    }

    /** Encodes s[from, to) into b (capacity at least 3 * (to - from)); returns the byte count. */
    static int encode(String s, int from, int to, byte[] b) {
        return encode(s, from, to, b, null);
    }

    /**
     * Encodes s[from, to) into b and, when {@code byteToChar} is not null (capacity at least
     * 3 * (to - from)), records for every byte the index in s of the char it came from (for
     * token spans). Returns the byte count.
     */
    static int encode(String s, int from, int to, byte[] b, int[] byteToChar) {
        int n = 0;
        for (int i = from; i < to; i++) {
            int start = n;
            int at = i;
            char c = s.charAt(i);
            if (c < 0x80) {
                b[n++] = (byte) c;
            } else if (c < 0x800) {
                b[n++] = (byte) (0xC0 | (c >> 6));
                b[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                char d;
                if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(d = s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, d);
                    b[n++] = (byte) (0xF0 | (cp >> 18));
                    b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    b[n++] = (byte) (0x80 | (cp & 0x3F));
                    i++;
                } else {
                    b[n++] = (byte) 0xEF; // lone surrogate -> U+FFFD
                    b[n++] = (byte) 0xBF;
                    b[n++] = (byte) 0xBD;
                }
            } else {
                b[n++] = (byte) (0xE0 | (c >> 12));
                b[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[n++] = (byte) (0x80 | (c & 0x3F));
            }
            if (byteToChar != null) {
                for (int k = start; k < n; k++) {
                    byteToChar[k] = at;
                }
            }
        }
        return n;
    }

    /** UTF-8 byte count of s[from, to), as {@link #encode} writes it. */
    static int length(String s, int from, int to) {
        long n = 0;
        for (int i = from; i < to; ) {
            n += width(s, i, to);
            i += PieceScanner.widthAt(s, i, to);
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a piece of " + n + " UTF-8 bytes exceeds the maximum array size");
        }
        return (int) n;
    }

    /**
     * UTF-8 byte count of the code point at s[i] (a surrogate pair within {@code to} is one
     * code point of 4 bytes; a lone surrogate is U+FFFD, 3 bytes).
     */
    static int width(String s, int i, int to) {
        char c = s.charAt(i);
        if (c < 0x80) {
            return 1;
        }
        if (c < 0x800) {
            return 2;
        }
        if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
            return 4;
        }
        return 3;
    }
}
