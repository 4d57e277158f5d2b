package dev.tessera.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.io.Sha256;
import dev.tessera.tokenizer.BpeTrainer;
import dev.tessera.tokenizer.BpeTrainerConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pretrain command through its in-process entry point: help, bad inputs, the corpus cache, fresh runs over old ones. */
class PretrainCliTest {
    @TempDir
    Path dir;

    record Result(int status, String out, String err) {}

    static Result run(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Pretrain.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path corpus(String name, String[] words) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1200; i++) {
            sb.append(words[(i * 7) % words.length]).append(i % 13 == 12 ? ".\n" : " ");
        }
        Path f = dir.resolve(name);
        Files.writeString(f, sb.toString());
        return f;
    }

    private Path cats() throws IOException {
        return corpus("cats.txt", new String[] {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "park"});
    }

    private Path birds() throws IOException {
        return corpus("birds.txt", new String[] {"birds", "fly", "over", "hills", "while", "fish", "swim", "below"});
    }

    /** A small working command line (steps 2, checkpoint at the end); extra options replace those of the same name. */
    private static List<String> args(Path text, Path out, String... extra) {
        List<String> base = List.of("--text", text.toString(), "--out", out.toString(), "--vocab", "300",
                "--layers", "1", "--embd", "16", "--heads", "2", "--context", "8", "--batch", "2", "--steps", "2",
                "--warmup", "1", "--eval-every", "2", "--eval-batches", "1", "--ckpt-every", "2");
        List<String> extras = Arrays.asList(extra);
        List<String> a = new ArrayList<>();
        for (int i = 0; i < base.size(); i += 2) {
            if (!extras.contains(base.get(i))) {
                a.add(base.get(i));
                a.add(base.get(i + 1));
            }
        }
        a.addAll(extras);
        return a;
    }

    @Test
    void helpExitsZeroWithDefaultsFromTheOptionTable() {
        Result r = run(List.of("--help"));
        assertEquals(0, r.status(), r.toString());
        assertEquals("", r.err());
        assertTrue(r.out().contains("--vocab N") && r.out().contains("(default 1024)")
                && r.out().contains("--overwrite") && r.out().contains("--allow-invalid-text"), r.out());
        assertEquals(PretrainOptions.usage(), r.out());
    }

    /** Issue 15 items 6 and 9: each bad input is one line naming option and value, status 2, nothing printed or created. */
    @Test
    void everyBadInputIsOneLineStatusTwoAndNoOutput() throws IOException {
        Path text = cats();
        Path out = dir.resolve("out");
        Files.write(dir.resolve("empty.txt"), new byte[0]);
        Files.write(dir.resolve("binary.txt"), new byte[] {'a', 'b', 'c', (byte) 0xFE, 0, 1});
        Files.writeString(dir.resolve("not.json"), "this is not JSON");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Path eotOnly = dir.resolve("eot-only.json");
        BpeTrainer.trainFiles(List.of(text), BpeTrainerConfig.of(270)).writeTokenizerJson(eotOnly);
        String t = text.toString();
        String o = out.toString();
        String[][] cases = {
            {"--text is required", "--out", o},
            {"--out is required", "--text", t},
            {"--text '" + dir.resolve("missing.txt") + "' does not exist", "--text", dir.resolve("missing.txt").toString(), "--out", o},
            {"is empty (0 bytes)", "--text", dir.resolve("empty.txt").toString(), "--out", o},
            {"is a directory", "--text", dir.toString(), "--out", o},
            {"byte offset 3", "--text", dir.resolve("binary.txt").toString(), "--out", o},
            {"--vocab must be in [259", "--text", t, "--out", o, "--vocab", "258"},
            {"--vocab must be an integer but was 'abc'", "--text", t, "--out", o, "--vocab", "abc"},
            {"--vocab needs a value", "--text", t, "--out", o, "--vocab"},
            {"--lr must be a decimal number but was 'Infinity'", "--text", t, "--out", o, "--lr", "Infinity"},
            {"--lr must be a decimal number but was 'NaN'", "--text", t, "--out", o, "--lr", "NaN"},
            {"--lr must be > 0 but was 0", "--text", t, "--out", o, "--lr", "0"},
            {"--out '" + file + "' is a file", "--text", t, "--out", file.toString()},
            {"--out '" + file.resolve("sub") + "'", "--text", t, "--out", file.resolve("sub").toString()},
            {"--tokenizer '" + dir.resolve("not.json") + "' is not a usable tokenizer.json", "--text", t, "--out", o,
                "--tokenizer", dir.resolve("not.json").toString()},
            {"has no special token <|mask|>", "--text", t, "--out", o, "--objective", "bert", "--tokenizer", eotOnly.toString()},
            {"--vocab applies only when training a tokenizer", "--text", t, "--out", o, "--tokenizer", eotOnly.toString(),
                "--vocab", "500"},
            {"unknown option '--foo'", "--text", t, "--out", o, "--foo", "1"},
            {"unexpected argument 'corpus.txt'", "--text", t, "--out", o, "corpus.txt"},
            {"--fill applies only to --objective bert", "--text", t, "--out", o, "--fill", "a <|mask|>"},
            {"--temperature applies only to --objective gpt", "--text", t, "--out", o, "--objective", "bert", "--temperature", "1"},
            {"--resume and --overwrite", "--text", t, "--out", o, "--resume", "--overwrite"},
            {"--dropout must be in [0, 1) but was 1", "--text", t, "--out", o, "--dropout", "1"},
            {"--warmup must be < --steps", "--text", t, "--out", o, "--steps", "10", "--warmup", "10"},
            {"--steps must be an integer but was '1e3'", "--text", t, "--out", o, "--steps", "1e3"},
            {"--context must be in [1, 65536] but was 100000000", "--text", t, "--out", o, "--context", "100000000"},
            {"--objective must be one of gpt, bert but was 't5'", "--text", t, "--out", o, "--objective", "t5"},
            {"--seed is given twice", "--text", t, "--out", o, "--seed", "1", "--seed", "2"},
        };
        for (String[] c : cases) {
            Result r = run(Arrays.asList(c).subList(1, c.length));
            String what = String.join(" ", Arrays.asList(c).subList(1, c.length)) + " -> " + r;
            assertEquals(2, r.status(), what);
            assertEquals("", r.out(), what);
            assertTrue(r.err().contains(c[0]), what);
            assertEquals(1, r.err().lines().count(), what);
            assertFalse(Files.exists(out), what);
        }
        // found only once the tokenizer exists, still before anything is printed or trained
        for (String[] c : new String[][] {
            {"must be shorter than --context 8", "--prompt", "the cat sat on a mat and the dog ran to the park and the cat sat"},
            {"--fill has no <|mask|>", "--objective", "bert", "--fill", "the cat sat"},
            {"must fit --context 8", "--objective", "bert", "--fill", "the cat <|mask|> on a mat and the dog ran to the park and"}}) {
            Result r = run(args(text, out, Arrays.copyOfRange(c, 1, c.length)));
            assertEquals(2, r.status(), r.toString());
            assertEquals("", r.out(), r.toString());
            assertTrue(r.err().contains(c[0]), r.toString());
            assertFalse(Files.exists(out.resolve("checkpoints")), r.toString());
        }
    }

    /** Issue 15 item 9: non-UTF-8 text trains only with --allow-invalid-text. */
    @Test
    void invalidTextNeedsTheOption() throws IOException {
        Path text = cats();
        byte[] b = Files.readAllBytes(text);
        b[100] = (byte) 0xFF;
        Files.write(text, b);
        Result r = run(args(text, dir.resolve("out")));
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("byte offset 100") && r.err().contains("--allow-invalid-text"), r.err());
        r = run(args(text, dir.resolve("out"), "--allow-invalid-text"));
        assertEquals(0, r.status(), r.toString());
    }

    /**
     * Issue 15 item 7: a run in a used --out with another text rebuilds the tokenizer and tokens
     * instead of training on the old corpus; a fresh run over checkpoints needs --overwrite; and
     * --resume refuses checkpoints trained on another corpus.
     */
    @Test
    void theCorpusCacheFollowsTheTextAndFreshRunsDoNotMixWithOldCheckpoints() throws IOException {
        Path cats = cats();
        Path birds = birds();
        Path out = dir.resolve("out");
        Result first = run(args(cats, out));
        assertEquals(0, first.status(), first.toString());
        assertTrue(Files.isDirectory(out.resolve("checkpoints/step-00000002")), first.out());
        assertTrue(first.out().contains("new tokens: all that fit --context 8"), first.out()); // --max-new 100 said to be cut
        String manifest = Files.readString(out.resolve("corpus.json"));
        assertTrue(manifest.contains(Sha256.of(cats)) && manifest.contains(cats.toAbsolutePath().toString()), manifest);

        // a fresh run over existing checkpoints is refused without --overwrite
        Result refused = run(args(birds, out));
        assertEquals(2, refused.status(), refused.toString());
        assertEquals("", refused.out());
        assertTrue(refused.err().contains("step-00000002") && refused.err().contains("--overwrite")
                && refused.err().contains("--resume"), refused.err());

        // resuming with another text is refused: the checkpoints were trained on the cats
        Result wrongResume = run(args(birds, out, "--steps", "3", "--resume"));
        assertEquals(2, wrongResume.status(), wrongResume.toString());
        assertTrue(wrongResume.err().contains(birds.toString()) && wrongResume.err().contains(cats.toString()),
                wrongResume.err());

        // the same text and tokenizer settings resume and reuse the cache
        Result resumed = run(args(cats, out, "--steps", "3", "--resume"));
        assertEquals(0, resumed.status(), resumed.toString());
        assertTrue(resumed.out().contains("reusing") && resumed.out().contains("resumed at step 2"), resumed.out());

        // a model of another shape cannot resume these checkpoints: refused before anything is printed
        Result otherShape = run(args(cats, out, "--steps", "4", "--resume", "--embd", "32"));
        assertEquals(2, otherShape.status(), otherShape.toString());
        assertEquals("", otherShape.out());
        assertTrue(otherShape.err().contains("--resume: checkpoint") && otherShape.err().contains("does not fit"),
                otherShape.err());

        // another --vocab for the same text is another tokenizer: resuming is refused
        Result otherVocab = run(args(cats, out, "--steps", "4", "--resume", "--vocab", "310"));
        assertEquals(2, otherVocab.status(), otherVocab.toString());
        assertTrue(otherVocab.err().contains("vocab"), otherVocab.err());

        // --overwrite starts over on the birds: cache rebuilt, old checkpoints gone
        Result over = run(args(birds, out, "--overwrite"));
        assertEquals(0, over.status(), over.toString());
        assertTrue(over.out().contains("rebuilding"), over.out());
        assertTrue(over.out().contains(String.format("corpus: %,d bytes", Files.size(birds))), over.out());
        assertFalse(Files.exists(out.resolve("checkpoints/step-00000003")));
        assertTrue(Files.readString(out.resolve("corpus.json")).contains(Sha256.of(birds)));

        // without checkpoints (deleted by hand), a run on other text rebuilds rather than reusing
        Files.walk(out.resolve("checkpoints")).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        Result again = run(args(cats, out));
        assertEquals(0, again.status(), again.toString());
        assertTrue(again.out().contains("rebuilding") && !again.out().contains("reusing"), again.out());
        assertTrue(again.out().contains(String.format("corpus: %,d bytes", Files.size(cats))), again.out());
    }

    /** A --resume onto checkpoints that are all damaged is refused rather than silently starting afresh. */
    @Test
    void resumeRefusesWhenNoCheckpointIsIntact() throws IOException {
        Path cats = cats();
        Path out = dir.resolve("out");
        assertEquals(0, run(args(cats, out)).status());
        Path weights = out.resolve("checkpoints/step-00000002/model.safetensors");
        byte[] b = Files.readAllBytes(weights);
        b[b.length - 1] ^= 1;
        Files.write(weights, b);
        Result r = run(args(cats, out, "--steps", "3", "--resume"));
        assertEquals(2, r.status(), r.toString());
        assertEquals("", r.out());
        assertTrue(r.err().contains("none of the 1 checkpoints") && r.err().contains("--overwrite"), r.err());
        Files.delete(out.resolve("tokens.bin"));
        Files.createDirectories(out.resolve("tokens.bin"));
        r = run(args(cats, out, "--overwrite"));
        assertEquals(2, r.status(), r.toString());
        assertTrue(r.err().contains("tokens.bin is a folder"), r.err());
    }
}
