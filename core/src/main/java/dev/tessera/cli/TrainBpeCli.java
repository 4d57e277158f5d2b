package dev.tessera.cli;

import dev.tessera.io.AtomicFiles;
import dev.tessera.tokenizer.BpeTrainer;
import dev.tessera.tokenizer.BpeTrainerConfig;
import dev.tessera.tokenizer.SplitPattern;
import dev.tessera.tokenizer.Tokenizer;
import dev.tessera.tokenizer.TrainedBpe;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Trains a byte-level BPE vocabulary from UTF-8 text files and writes {@code <out>.tiktoken} and
 * {@code <out>.tokenizer.json}.
 *
 * <pre>
 * java -cp ... dev.tessera.cli.TrainBpeCli --vocab 8192 --threads 2 --pattern CL100K \
 *      --out /tmp/bpe8k corpus.txt [more files]
 * </pre>
 * Every input is checked before training: a missing, empty or unreadable file, a directory, or
 * bytes that are not UTF-8 text (the byte offset is named; {@code --allow-invalid-text} trains on
 * them with U+FFFD in their place) is one line on stderr and exit status 2, with nothing written.
 * Both outputs are written to temporary files first and renamed into place only when both are
 * complete.
 */
public final class TrainBpeCli {
    private static final String SPECIAL = "<|endoftext|>";
    private static final int MIN_VOCAB = 256 + 1; // the 256 bytes and the special token

    static final OptionParser OPTIONS = new OptionParser(
            "usage: TrainBpeCli [options] FILE... (UTF-8 text; -- before a file name that starts with -)",
            List.of(CliOption.value("--vocab", "N", "8192", "vocabulary size, >= " + MIN_VOCAB
                            + " (256 bytes, merges, " + SPECIAL + ")"),
                    CliOption.value("--threads", "N", "2", "threads counting pre-tokens, 1-256"),
                    CliOption.value("--min-frequency", "N", "2", "a pair must occur this often to be merged"),
                    CliOption.value("--pattern", "NAME", "cl100k", "pre-tokenizer split: "
                            + String.join("|", patterns().keySet())),
                    CliOption.value("--out", "PREFIX", null, "write PREFIX.tiktoken and PREFIX.tokenizer.json"
                            + " (without it: train and report only)"),
                    CliOption.flag("--allow-invalid-text", "train on bytes that are not UTF-8 text (NUL bytes,"
                            + " malformed sequences), each malformed sequence as U+FFFD")),
            "FILE");

    private TrainBpeCli() {}

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the command. Returns 0 on success (and for {@code --help}), 2 for a bad command line or
     * input file (one line on {@code err}, nothing written), 1 when reading or writing fails midway.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Job job;
        try {
            ParsedOptions p = OPTIONS.parse(args);
            if (p.helpRequested()) {
                out.print(OPTIONS.usage());
                return 0;
            }
            job = Job.of(p);
        } catch (UsageException e) {
            err.println("TrainBpeCli: " + e.getMessage());
            return 2;
        } catch (IOException | UncheckedIOException e) {
            err.println("TrainBpeCli: " + e.getMessage());
            return 2;
        }
        try {
            job.run(out);
            return 0;
        } catch (IOException | UncheckedIOException e) {
            err.println("TrainBpeCli: failed: " + e.getMessage());
            return 1;
        }
    }

    private static Map<String, SplitPattern> patterns() {
        Map<String, SplitPattern> m = new LinkedHashMap<>();
        for (SplitPattern s : SplitPattern.values()) {
            m.put(s.name().toLowerCase(Locale.ROOT), s);
        }
        return m;
    }

    /** A validated command: every input checked, nothing read for training or written yet. */
    private record Job(BpeTrainerConfig config, List<Path> files, long bytes, Path out) {
        static Job of(ParsedOptions p) throws IOException {
            BpeTrainerConfig config = new BpeTrainerConfig(p.integer("--vocab", MIN_VOCAB, 1 << 24), List.of(SPECIAL),
                    p.choice("--pattern", patterns()), p.integer("--min-frequency", 1, Integer.MAX_VALUE), 256,
                    p.integer("--threads", 1, 256));
            if (p.positional().isEmpty()) {
                throw new UsageException("no input FILE given (see --help)");
            }
            List<Path> files = new ArrayList<>();
            long bytes = 0;
            for (String name : p.positional()) {
                Path f = path("FILE", name);
                bytes += InputFiles.requireText("FILE", f, p.flag("--allow-invalid-text"), "--allow-invalid-text");
                files.add(f);
            }
            Path out = p.string("--out") == null ? null : outputPrefix(p.string("--out"));
            return new Job(config, files, bytes, out);
        }

        void run(PrintStream log) throws IOException {
            long t0 = System.nanoTime();
            TrainedBpe bpe = BpeTrainer.trainFiles(files, config);
            double secs = (System.nanoTime() - t0) / 1e9;
            String wrote = "";
            if (out != null) {
                Path tiktoken = Path.of(out + ".tiktoken");
                Path json = Path.of(out + ".tokenizer.json");
                // both complete before either appears: a failure leaves neither (nor a stale pair's half)
                Map<Path, AtomicFiles.Content> files = new LinkedHashMap<>();
                files.put(tiktoken, bpe::writeTiktoken);
                files.put(json, bpe::writeTokenizerJson);
                AtomicFiles.writeAll(files);
                Tokenizer t = bpe.tokenizer();
                String sample = "The quick brown fox; public static void main(String[] args) {}";
                wrote = String.format("%nwrote %s and %s; sample encodes to %d tokens", tiktoken, json,
                        t.encode(sample).length);
            }
            log.printf(Locale.ROOT, "trained %d merges (vocab %d) on %.1f MB in %.2f s%s%n", bpe.mergeCount(),
                    bpe.vocabSize(), bytes / 1048576.0, secs, wrote);
        }
    }

    private static Path path(String option, String name) {
        try {
            return Paths.get(name);
        } catch (InvalidPathException e) {
            throw new UsageException(option + " '" + name + "' is not a valid path: " + e.getReason());
        }
    }

    /** Checks that PREFIX.* can be created: the folder exists and neither output is a directory. */
    private static Path outputPrefix(String prefix) {
        Path p = path("--out", prefix).toAbsolutePath();
        if (prefix.isEmpty() || prefix.endsWith("/") || p.getFileName() == null) {
            throw new UsageException("--out '" + prefix + "' must be a file name prefix, not a folder");
        }
        Path dir = p.getParent();
        if (!Files.isDirectory(dir)) {
            throw new UsageException("--out '" + prefix + "': the folder " + dir + " does not exist or is not a folder");
        }
        if (!Files.isWritable(dir)) {
            throw new UsageException("--out '" + prefix + "': the folder " + dir + " is not writable");
        }
        for (String ext : new String[] {".tiktoken", ".tokenizer.json"}) {
            if (Files.isDirectory(Path.of(p + ext))) {
                throw new UsageException("--out '" + prefix + "': " + p + ext + " is a directory");
            }
        }
        return p;
    }
}
