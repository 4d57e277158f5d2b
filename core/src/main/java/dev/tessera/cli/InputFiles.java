package dev.tessera.cli;

import dev.tessera.io.Utf8Check;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Checks of the files a command line names, each failing with a {@link UsageException} that names the option and the file. */
public final class InputFiles {
    private InputFiles() {}

    /**
     * Checks a text file given as {@code option}: it exists, is a readable regular file, is not
     * empty and (unless {@code allowInvalid}) is UTF-8 text without NUL bytes. Returns its size.
     *
     * @param allowFlag the option that accepts such text, named in the message, or null if the tool has none
     */
    public static long requireText(String option, Path f, boolean allowInvalid, String allowFlag) throws IOException {
        if (!Files.exists(f)) {
            throw new UsageException(option + " '" + f + "' does not exist");
        }
        if (Files.isDirectory(f)) {
            throw new UsageException(option + " '" + f + "' is a directory, not a text file");
        }
        if (!Files.isRegularFile(f) || !Files.isReadable(f)) {
            throw new UsageException(option + " '" + f + "' is not a readable regular file");
        }
        long size = Files.size(f);
        if (size == 0) {
            throw new UsageException(option + " '" + f + "' is empty (0 bytes)");
        }
        if (!allowInvalid) {
            Optional<String> problem = Utf8Check.firstProblem(f);
            if (problem.isPresent()) {
                throw new UsageException(option + " '" + f + "' is not UTF-8 text: " + problem.get()
                        + (allowFlag == null ? "" : "; " + allowFlag + " accepts it"));
            }
        }
        return size;
    }

    /**
     * Checks that {@code dir} can be used as an output folder: it is a folder, or it does not
     * exist yet and its nearest existing ancestor is a writable folder. Creates nothing.
     */
    public static void requireOutputFolder(String option, Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) {
                throw new UsageException(option + " '" + dir + "' is a file, not a folder");
            }
            if (!Files.isWritable(abs)) {
                throw new UsageException(option + " '" + dir + "' is not writable");
            }
            return;
        }
        Path p = abs.getParent();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null || !Files.isDirectory(p)) {
            throw new UsageException(option + " '" + dir + "' cannot be created: " + p + " is a file, not a folder");
        }
        if (!Files.isWritable(p)) {
            throw new UsageException(option + " '" + dir + "' cannot be created: " + p + " is not writable");
        }
    }
}
