package dev.tessera.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes files so that a reader sees either the old file or the complete new one: the content
 * goes to a hidden temporary file beside the target, is fsynced, and is renamed over the target.
 * {@link #stage} separates the writing from the rename, so that several outputs can all be
 * written before any of them appears.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the content of a file at the path it is given. */
    @FunctionalInterface
    public interface Content {
        void writeTo(Path file) throws IOException;
    }

    /** A written, fsynced temporary file; {@link #commit()} moves it into place, {@link #close()} removes it if not. */
    public static final class Staged implements Closeable {
        private final Path tmp;
        private final Path target;
        private boolean committed;

        private Staged(Path tmp, Path target) {
            this.tmp = tmp;
            this.target = target;
        }

        /** Renames the temporary file to the target (replacing it). */
        public void commit() throws IOException {
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (!committed) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Writes {@code content} to a temporary file beside {@code target} and fsyncs it; the caller commits. */
    public static Staged stage(Path target, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp");
        Staged s = new Staged(tmp, abs);
        try {
            content.writeTo(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            return s;
        } catch (IOException | RuntimeException | Error e) {
            s.close();
            throw e;
        }
    }

    /** Writes {@code target} atomically. */
    public static void write(Path target, Content content) throws IOException {
        try (Staged s = stage(target, content)) {
            s.commit();
        }
    }

    /**
     * Writes several files so that none appears until all are complete: each is staged in turn,
     * and only then are they renamed into place (in map order). A failure while writing any of
     * them leaves every target as it was.
     */
    public static void writeAll(Map<Path, Content> targets) throws IOException {
        List<Staged> staged = new ArrayList<>();
        try {
            for (Map.Entry<Path, Content> e : targets.entrySet()) {
                staged.add(stage(e.getKey(), e.getValue()));
            }
            for (Staged s : staged) {
                s.commit();
            }
        } finally {
            for (Staged s : staged) {
                s.close();
            }
        }
    }

    /** Writes bytes to {@code target} atomically. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, tmp -> Files.write(tmp, bytes));
    }
}
