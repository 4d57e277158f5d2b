package dev.tessera.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pretrain command end to end on a tiny corpus: both objectives, checkpoints, resume. */
class PretrainTest {
    @TempDir
    Path dir;

    private Path corpus() throws IOException {
        StringBuilder sb = new StringBuilder();
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "park"};
        for (int i = 0; i < 1500; i++) {
            sb.append(words[(i * 7) % words.length]).append(i % 13 == 12 ? ".\n" : " ");
        }
        Path f = dir.resolve("corpus.txt");
        Files.writeString(f, sb.toString());
        return f;
    }

    private static String[] args(Path text, Path out, String objective, int steps, String... extra) {
        String base = "--objective " + objective + " --text " + text + " --out " + out + " --vocab 300 --layers 1 --embd 32"
                + " --heads 2 --context 16 --batch 4 --steps " + steps + " --warmup 1 --eval-every 3 --eval-batches 2"
                + " --ckpt-every 3 --max-new 5 --lr 3e-3";
        String[] a = base.split(" ");
        String[] all = java.util.Arrays.copyOf(a, a.length + extra.length);
        System.arraycopy(extra, 0, all, a.length, extra.length);
        return all;
    }

    @Test
    void gptTrainsCheckpointsAndResumes() throws IOException {
        Path text = corpus();
        Path out = dir.resolve("gpt");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Pretrain.Summary s = Pretrain.run(PretrainOptions.parse(args(text, out, "gpt", 6)),
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(6, s.steps());
        assertTrue(Double.isFinite(s.valLoss()) && s.unigramEntropy() > 0, s.toString());
        assertTrue(Files.isDirectory(out.resolve("checkpoints/step-00000006")));
        assertTrue(Files.exists(out.resolve("tokenizer.json")) && Files.exists(out.resolve("tokens.bin")));
        String printed = log.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("sample (temperature"), printed);

        ByteArrayOutputStream log2 = new ByteArrayOutputStream();
        Pretrain.Summary resumed = Pretrain.run(PretrainOptions.parse(args(text, out, "gpt", 8, "--resume")),
                new PrintStream(log2, true, StandardCharsets.UTF_8));
        assertEquals(8, resumed.steps());
        String printed2 = log2.toString(StandardCharsets.UTF_8);
        assertTrue(printed2.contains("resumed at step 6") && printed2.contains("reusing"), printed2);
    }

    @Test
    void bertTrainsAndFillsMasks() throws IOException {
        Path text = corpus();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Pretrain.Summary s = Pretrain.run(PretrainOptions.parse(args(text, dir.resolve("bert"), "bert", 3, "--fill",
                "the cat <|mask|> on a mat")), new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(3, s.steps());
        assertTrue(s.valAccuracy() >= 0 && s.valAccuracy() <= 1 && s.baselineAccuracy() > 0, s.toString());
        String printed = log.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("filled:") && printed.contains("masked:  the cat <|mask|> on a mat"), printed);
    }

    @Test
    void rejectsBadOptions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainOptions.parse(new String[] {"--text", "a.txt", "--out", "o", "--embd", "30", "--heads", "4"}));
        assertTrue(e.getMessage().contains("--embd") && e.getMessage().contains("--heads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PretrainOptions.parse(new String[] {"--out", "o"}));
        assertTrue(e.getMessage().contains("--text"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PretrainOptions.parse(new String[] {"--text", "a", "--out", "o", "--objective", "t5"}));
        assertTrue(e.getMessage().contains("gpt or bert"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PretrainOptions.parse(new String[] {"--text", "a", "--out", "o", "--stepz", "3"}));
        assertTrue(e.getMessage().contains("--stepz"), e.getMessage());
    }
}
