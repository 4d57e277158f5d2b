package dev.tessera.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the first byte of a file that makes it something other than UTF-8 text: a byte sequence
 * that is not well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF, no truncated sequence at the end) or a NUL byte, which text files do not contain and
 * binary files nearly always do. Decoding such input with replacement characters would train or
 * tokenise on U+FFFD in place of whatever the bytes were, so the command-line tools reject it
 * unless asked to accept it.
 */
public final class Utf8Check {
    private Utf8Check() {}

    /** The first problem of {@code file} as "invalid UTF-8 at byte offset N (...)", or empty if it is clean text. */
    public static Optional<String> firstProblem(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return firstProblem(in);
        }
    }

    /** The first problem of a byte stream (read to its end unless a problem is found), or empty if it is clean text. */
    public static Optional<String> firstProblem(InputStream in) throws IOException {
        byte[] buf = new byte[8192];
        long offset = 0;
        long start = 0; // where the multi-byte sequence being read began
        int need = 0; // continuation bytes still expected
        int lo = 0x80;
        int hi = 0xBF; // the allowed range of the next continuation byte
        for (int n; (n = in.read(buf)) > 0; ) {
            for (int i = 0; i < n; i++, offset++) {
                int b = buf[i] & 0xFF;
                if (need > 0) {
                    if (b < lo || b > hi) {
                        return Optional.of(bad(start, "byte 0x" + Integer.toHexString(b) + " at offset " + offset
                                + " does not continue the character"));
                    }
                    lo = 0x80;
                    hi = 0xBF;
                    need--;
                    continue;
                }
                start = offset;
                if (b == 0) {
                    return Optional.of("a NUL byte at byte offset " + offset + ": binary data, not text");
                } else if (b < 0x80) {
                    continue;
                } else if (b >= 0xC2 && b <= 0xDF) {
                    need = 1;
                } else if (b == 0xE0) {
                    need = 2;
                    lo = 0xA0; // below is overlong
                } else if (b == 0xED) {
                    need = 2;
                    hi = 0x9F; // above are the surrogates U+D800..U+DFFF
                } else if (b >= 0xE1 && b <= 0xEF) {
                    need = 2;
                } else if (b == 0xF0) {
                    need = 3;
                    lo = 0x90; // below is overlong
                } else if (b >= 0xF1 && b <= 0xF3) {
                    need = 3;
                } else if (b == 0xF4) {
                    need = 3;
                    hi = 0x8F; // above is beyond U+10FFFF
                } else {
                    return Optional.of(bad(offset, "byte 0x" + Integer.toHexString(b) + " cannot start a character"));
                }
            }
        }
        if (need > 0) {
            return Optional.of(bad(start, "the file ends inside a multi-byte character"));
        }
        return Optional.empty();
    }

    private static String bad(long offset, String why) {
        return "invalid UTF-8 at byte offset " + offset + " (" + why + ")";
    }
}
