package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer-training command in-process: help, every bad input, atomic outputs. */
class TrainBpeCliTest {
    @TempDir
    Path dir;

    /** Exit status, stdout and stderr of one in-process run. */
    record Result(int status, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = TrainBpeCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path text() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            sb.append("the cat sat on the mat and the dog ran ").append(i % 7).append('\n');
        }
        Path f = dir.resolve("corpus.txt");
        Files.writeString(f, sb.toString());
        return f;
    }

    private List<String> files(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void helpExitsZeroWithDefaultsFromTheOptionTable() {
        Result r = run("--help");
        assertEquals(0, r.status());
        assertEquals("", r.err());
        assertTrue(r.out().contains("--vocab N") && r.out().contains("(default 8192)") && r.out().contains("--allow-invalid-text"),
                r.out());
        assertEquals(0, run("--vocab", "abc", "-h").status(), "help wins over a bad value");
    }

    /** Issue 15 items 6, 8, 9: every bad input is one line naming option and value, status 2, nothing written. */
    @Test
    void everyBadInputIsOneLineStatusTwoAndWritesNothing() throws IOException {
        Path text = text();
        Path outDir = Files.createDirectory(dir.resolve("out"));
        String prefix = outDir.resolve("bpe").toString();
        Files.write(dir.resolve("empty.txt"), new byte[0]);
        Files.write(dir.resolve("binary.bin"), new byte[] {'a', 'b', 0, 1, 2, (byte) 0xFF});
        Files.write(dir.resolve("latin1.txt"), "caf\u00e9 au lait".getBytes(StandardCharsets.ISO_8859_1));
        Files.write(dir.resolve("surrogate.txt"), new byte[] {'o', 'k', (byte) 0xED, (byte) 0xA0, (byte) 0x80});
        Files.write(dir.resolve("cut.txt"), new byte[] {'o', 'k', (byte) 0xE2, (byte) 0x82});
        Files.writeString(dir.resolve("plain"), "x");
        String t = text.toString();
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[] {"no input FILE"});
        cases.add(new String[] {"does not exist", dir.resolve("missing.txt").toString()});
        cases.add(new String[] {"is a directory", dir.toString()});
        cases.add(new String[] {"empty.txt' is empty", dir.resolve("empty.txt").toString()});
        cases.add(new String[] {"NUL byte at byte offset 2", dir.resolve("binary.bin").toString()});
        cases.add(new String[] {"byte offset 3", dir.resolve("latin1.txt").toString()});
        cases.add(new String[] {"byte offset 2", dir.resolve("surrogate.txt").toString()});
        cases.add(new String[] {"byte offset 2", dir.resolve("cut.txt").toString()});
        cases.add(new String[] {"unknown option '--foo'", "--foo", t});
        cases.add(new String[] {"--vocab must be an integer but was 'abc'", "--vocab", "abc", t});
        cases.add(new String[] {"--vocab must be in [257", "--vocab", "100", t});
        cases.add(new String[] {"--vocab needs a value", t, "--vocab"});
        cases.add(new String[] {"--vocab needs a value (N) but got the option '--threads'", "--vocab", "--threads", "2", t});
        cases.add(new String[] {"--vocab is given twice ('300' and '400')", "--vocab", "300", "--vocab", "400", t});
        cases.add(new String[] {"--threads must be in [1, 256] but was 0", "--threads", "0", t});
        cases.add(new String[] {"--min-frequency must be >= 1 but was -3", "--min-frequency", "-3", t});
        cases.add(new String[] {"--pattern must be one of", "--pattern", "bogus", t});
        cases.add(new String[] {"--out '" + dir.resolve("nowhere/bpe") + "'", "--out", dir.resolve("nowhere/bpe").toString(), t});
        cases.add(new String[] {"not a folder", "--out", dir.resolve("plain").resolve("bpe").toString(), t});
        cases.add(new String[] {"must be a file name prefix", "--out", outDir + "/", t});
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            String[] withOut = args;
            if (!String.join(" ", args).contains("--out")) {
                withOut = java.util.Arrays.copyOf(args, args.length + 2);
                withOut[args.length] = "--out";
                withOut[args.length + 1] = prefix;
            }
            Result r = run(withOut);
            String what = String.join(" ", withOut) + " -> " + r;
            assertEquals(2, r.status(), what);
            assertEquals("", r.out(), what);
            assertTrue(r.err().contains(c[0]), what);
            assertEquals(1, r.err().lines().count(), what);
            assertEquals(List.of(), files(outDir), what);
        }
        Files.createDirectory(Path.of(prefix + ".tokenizer.json"));
        Result r = run("--out", prefix, t);
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains(".tokenizer.json is a directory"), r.err());
    }

    /** Issue 15 item 9: non-UTF-8 input trains only with the explicit option. */
    @Test
    void invalidTextIsAcceptedOnlyWithTheOption() throws IOException {
        Path bin = dir.resolve("binary.bin");
        byte[] b = new byte[4000];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 31 % 7 == 0 ? 0xFF : 'a' + i % 5);
        }
        Files.write(bin, b);
        assertEquals(2, run("--vocab", "270", bin.toString()).status());
        Result r = run("--vocab", "270", "--allow-invalid-text", bin.toString());
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().startsWith("trained "), r.out());
    }

    /** Issue 15 item 8: both outputs appear together, with no temporary files left. */
    @Test
    void writesBothOutputsAndNoTemporaries() throws IOException {
        Path out = Files.createDirectory(dir.resolve("out"));
        Result r = run("--vocab", "280", "--threads", "1", "--pattern", "GPT2", "--out", out.resolve("bpe").toString(),
                text().toString());
        assertEquals(0, r.status(), r.toString());
        assertEquals("", r.err());
        assertEquals(List.of("bpe.tiktoken", "bpe.tokenizer.json"), files(out));
        assertTrue(r.out().contains("wrote ") && r.out().contains("sample encodes to"), r.out());
    }
}
