package dev.tessera.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Every kind of malformed file (truncated, oversized header, overlapping or out-of-range offsets, size not shape × dtype, duplicate names, bad UTF-8, trailing bytes) is rejected on open, with a message naming the problem and the tensor. */
class SafeTensorsValidationTest {

    @TempDir
    Path dir;

    private int counter;

    /** A file with the given header bytes (length prefix computed) followed by {@code dataBytes} zero bytes. */
    private Path file(byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        Path p = dir.resolve("m" + (counter++) + ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    private Path file(String json, int dataBytes) throws IOException {
        return file(json.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    /** Asserts opening fails with a format error whose message contains every fragment. */
    private static void rejects(Path p, String... fragments) {
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensorsFile.open(p).close());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
        // the convenience reader goes through the same checks
        assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.read(p));
    }

    private static String t(String name, String dtype, String shape, long b, long e) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + b + "," + e + "]}";
    }

    @Test
    void aWellFormedHandWrittenFileLoads() throws IOException {
        Path p = file("{" + t("x", "F32", "[2]", 0, 8) + "," + t("y", "I64", "[]", 8, 16) + "}", 16);
        try (SafeTensorsFile f = SafeTensorsFile.open(p)) {
            assertEquals(2, f.names().size());
            assertEquals(0L, f.get("y").getLong(0));
        }
    }

    @Test
    void truncatedBeforeTheLength() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        rejects(p, "truncated", "3 bytes");
        Path empty = dir.resolve("empty.safetensors");
        Files.write(empty, new byte[0]);
        rejects(empty, "truncated");
    }

    @Test
    void truncatedData() throws IOException {
        Path p = dir.resolve("cut.safetensors");
        SafeTensors.write(p, Map.of("w", Nd4j.rand(DataType.FLOAT, 4, 4)), Map.of());
        byte[] all = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(all, all.length - 4));
        rejects(p, "'w'", "out of range");
    }

    @Test
    void headerLongerThanTheFile() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + 10).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(1000).put("{\"a\":1}   ".getBytes(StandardCharsets.US_ASCII));
        Path p = dir.resolve("long.safetensors");
        Files.write(p, b.array());
        rejects(p, "header length 1000", "larger than the file");
    }

    @Test
    void oversizedHeader() throws IOException {
        for (long n : new long[] {1L << 40, -1L, SafeTensorsHeader.MAX_HEADER_BYTES + 1}) {
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(n).putLong(0);
            Path p = dir.resolve("huge" + (counter++) + ".safetensors");
            Files.write(p, b.array());
            rejects(p, "header length " + Long.toUnsignedString(n), "exceeds the limit");
        }
    }

    @Test
    void invalidJson() throws IOException {
        rejects(file("{\"a\": {\"dtype\": \"F32\",", 0), "not valid JSON");
        rejects(file("[1, 2]", 0), "must be a JSON object");
        rejects(file("", 0), "must be a JSON object");
    }

    @Test
    void invalidUtf8() throws IOException {
        byte[] h = ("{" + t("ab", "F32", "[1]", 0, 4) + "}").getBytes(StandardCharsets.UTF_8);
        h[2] = (byte) 0xC3; // 'a' -> a lead byte followed by 'b': malformed sequence inside the name
        rejects(file(h, 4), "not valid UTF-8");
        byte[] lone = ("{" + t("x", "F32", "[1]", 0, 4) + "}").getBytes(StandardCharsets.UTF_8);
        lone[2] = (byte) 0xFF;
        rejects(file(lone, 4), "not valid UTF-8");
    }

    @Test
    void unknownDtype() throws IOException {
        rejects(file("{" + t("w", "F8_E4M3", "[4]", 0, 4) + "}", 4), "'w'", "unknown or unsupported dtype 'F8_E4M3'");
        rejects(file("{\"w\":{\"dtype\":3,\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "'w'", "dtype");
    }

    @Test
    void negativeOrNonIntegerShape() throws IOException {
        rejects(file("{" + t("w", "F32", "[-1]", 0, 4) + "}", 4), "'w'", "shape entry 0 is negative");
        rejects(file("{" + t("w", "F32", "[2.5]", 0, 10) + "}", 10), "'w'", "shape entry 0 is not an integer");
        rejects(file("{" + t("w", "F32", "[\"2\"]", 0, 8) + "}", 8), "'w'", "not an integer");
        rejects(file("{" + t("w", "F32", "[99999999999999999999]", 0, 8) + "}", 8), "'w'", "too large");
        rejects(file("{" + t("w", "F32", "[4294967296, 4294967296]", 0, 8) + "}", 8), "'w'", "64 bits");
        rejects(file("{\"w\":{\"dtype\":\"F32\",\"shape\":5,\"data_offsets\":[0,4]}}", 4), "'w'", "shape");
    }

    @Test
    void outOfRangeOffsets() throws IOException {
        rejects(file("{" + t("w", "F32", "[4]", 0, 16) + "}", 8), "'w'", "out of range", "8 bytes");
        rejects(file("{" + t("w", "F32", "[1]", 8, 4) + "}", 8), "'w'", "end before they begin");
        rejects(file("{" + t("w", "F32", "[1]", -4, 0) + "}", 8), "'w'", "negative");
        rejects(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "'w'", "data_offsets must have 2 entries");
    }

    @Test
    void overlappingOffsets() throws IOException {
        rejects(file("{" + t("a", "F32", "[2]", 0, 8) + "," + t("b", "F32", "[2]", 4, 12) + "}", 12),
                "'b'", "overlaps", "'a'");
        rejects(file("{" + t("a", "F32", "[2]", 0, 8) + "," + t("b", "F32", "[2]", 0, 8) + "}", 8), "overlaps");
    }

    @Test
    void gaps() throws IOException {
        rejects(file("{" + t("a", "F32", "[1]", 0, 4) + "," + t("b", "F32", "[1]", 8, 12) + "}", 12),
                "gap of 4 bytes before tensor 'b'");
        rejects(file("{" + t("a", "F32", "[1]", 4, 8) + "}", 8), "gap of 4 bytes before tensor 'a'");
    }

    @Test
    void sizeDifferentFromShapeTimesDtype() throws IOException {
        rejects(file("{" + t("w", "F32", "[2,3]", 0, 20) + "}", 20), "'w'", "20 bytes", "24 bytes");
        rejects(file("{" + t("h", "F16", "[3]", 0, 12) + "}", 12), "'h'", "6 bytes");
    }

    @Test
    void duplicateNames() throws IOException {
        rejects(file("{" + t("w", "F32", "[1]", 0, 4) + "," + t("w", "F32", "[1]", 4, 8) + "}", 8), "duplicate", "'w'");
    }

    @Test
    void trailingBytes() throws IOException {
        rejects(file("{" + t("w", "F32", "[1]", 0, 4) + "}", 12), "8 trailing bytes", "'w'");
        rejects(file("{}", 3), "3 trailing bytes");
    }

    @Test
    void malformedEntriesAndMetadata() throws IOException {
        rejects(file("{\"__metadata__\":{\"a\":1}}", 0), "__metadata__", "'a'", "must be a string");
        rejects(file("{\"__metadata__\":[\"a\"]}", 0), "__metadata__", "must be an object");
        rejects(file("{\"w\":[1,2]}", 0), "'w'", "must be an object");
        rejects(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "'w'", "data_offsets");
        rejects(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", 4),
                "'w'", "unexpected field 'extra'");
    }

    @Test
    void metadataOnlyAndEmptyFilesAreValid() throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(file("{\"__metadata__\":{\"k\":\"v\"}}   ", 0))) {
            assertEquals(Map.of("k", "v"), f.metadata());
            assertTrue(f.names().isEmpty());
        }
        try (SafeTensorsFile f = SafeTensorsFile.open(file("{}", 0))) {
            assertTrue(f.names().isEmpty());
        }
    }

    @Test
    void contentAfterTheHeaderObjectIsRejected() throws IOException {
        // A second JSON object in the header would describe tensors that no loader sees.
        String first = "{" + t("x", "F32", "[2]", 0, 8) + "}";
        rejects(file(first + "{" + t("y", "F32", "[2]", 8, 16) + "}", 8), "after the header", "{");
        rejects(file(first + " x", 8), "after the header");
        rejects(file(first + "\u0000\u0000", 8), "header");
        // JSON whitespace after the object is the format's padding and stays accepted
        try (SafeTensorsFile f = SafeTensorsFile.open(file(first + "  \n\t ", 8))) {
            assertEquals(1, f.names().size());
        }
    }
}
