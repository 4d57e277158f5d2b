package dev.tessera.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Utf8CheckTest {
    @TempDir
    Path dir;

    private Optional<String> check(byte[] b) throws IOException {
        Path f = dir.resolve("f");
        Files.write(f, b);
        return Utf8Check.firstProblem(f);
    }

    @Test
    void namesTheOffsetOfTheFirstBadByte() throws IOException {
        assertEquals(Optional.empty(), check("héllo wörld \u20ac \uD83D\uDE00 \u0000".replace("\u0000", "")
                .getBytes(StandardCharsets.UTF_8)));
        assertTrue(check(new byte[] {'a', 0}).orElseThrow().contains("NUL byte at byte offset 1"));
        assertTrue(check(new byte[] {'a', 'b', (byte) 0xC0, (byte) 0x80}).orElseThrow().contains("byte offset 2"));
        assertTrue(check(new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0x80}).orElseThrow().contains("byte offset 0"));
        assertTrue(check(new byte[] {'x', (byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}).orElseThrow()
                .contains("byte offset 1"));
        assertTrue(check(new byte[] {'x', 'y', (byte) 0xF0, (byte) 0x9F}).orElseThrow().contains("ends inside"));
    }

    /** Agrees with the JDK's strict decoder on random byte strings (the portable reference). */
    @Test
    void agreesWithTheJdkDecoder() throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        byte[] pool = {'a', (byte) 0x80, (byte) 0xBF, (byte) 0xC2, (byte) 0xDF, (byte) 0xE0, (byte) 0xED, (byte) 0xEF,
            (byte) 0xF0, (byte) 0xF4, (byte) 0xF5, (byte) 0x9F, (byte) 0xA0, (byte) 0x90, (byte) 0x8F, (byte) 0xC0};
        for (int t = 0; t < 5000; t++) {
            byte[] b = new byte[1 + r.nextInt(6)];
            for (int i = 0; i < b.length; i++) {
                b[i] = pool[r.nextInt(pool.length)];
            }
            boolean jdk = true;
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b));
            } catch (CharacterCodingException e) {
                jdk = false;
            }
            assertEquals(jdk, Utf8Check.firstProblem(new java.io.ByteArrayInputStream(b)).isEmpty(),
                    java.util.HexFormat.of().formatHex(b));
        }
    }
}
