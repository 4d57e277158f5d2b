package dev.tessera.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Issue 15 item 8: when the second of two outputs fails, neither appears and the old files stay. */
    @Test
    void writeAllLeavesEveryTargetAsItWasWhenOneFails() throws IOException {
        Path a = dir.resolve("a.txt");
        Path b = dir.resolve("b.txt");
        Files.writeString(a, "old a");
        Map<Path, AtomicFiles.Content> files = new LinkedHashMap<>();
        files.put(a, tmp -> Files.writeString(tmp, "new a"));
        files.put(b, tmp -> {
            Files.writeString(tmp, "half of b");
            throw new IOException("disk full");
        });
        assertThrows(IOException.class, () -> AtomicFiles.writeAll(files));
        assertEquals(List.of("a.txt"), names());
        assertEquals("old a", Files.readString(a));

        files.put(b, tmp -> Files.writeString(tmp, "new b"));
        AtomicFiles.writeAll(files);
        assertEquals(List.of("a.txt", "b.txt"), names());
        assertEquals("new a", Files.readString(a));
        assertEquals("new b", Files.readString(b));
    }

    @Test
    void failedWriteKeepsTheOldFile() throws IOException {
        Path a = dir.resolve("a.txt");
        Files.writeString(a, "old");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(a, tmp -> {
            Files.writeString(tmp, "ne");
            throw new IllegalStateException("crash");
        }));
        assertEquals("old", Files.readString(a));
        assertEquals(List.of("a.txt"), names());
    }
}
