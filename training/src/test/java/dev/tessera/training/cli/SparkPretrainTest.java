package dev.tessera.training.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The data-parallel CLI's argument handling (the training itself is SparkDataParallelTest's). */
class SparkPretrainTest {
    @Test
    void pathsBecomeAbsoluteSoThatExecutorsFindThem() {
        String[] args = {"--text", "a.txt", "--out", "runs/x", "--steps", "5", "--tokenizer", "t.json"};
        String cwd = Path.of("").toAbsolutePath().toString();
        assertArrayEquals(new String[] {"--text", cwd + "/a.txt", "--out", cwd + "/runs/x", "--steps", "5", "--tokenizer",
                cwd + "/t.json"}, SparkPretrain.absolutePaths(args));
    }

    @Test
    void rejectsBertABatchThatDoesNotSplitAndATimeLimit() {
        String msg = assertThrows(IllegalArgumentException.class, () -> SparkPretrain.check(
                PretrainOptions.parse(new String[] {"--text", "a", "--out", "o", "--objective", "bert"}), 2)).getMessage();
        assertTrue(msg.contains("gpt only"), msg);
        msg = assertThrows(IllegalArgumentException.class, () -> SparkPretrain.check(
                PretrainOptions.parse(new String[] {"--text", "a", "--out", "o", "--batch", "9"}), 2)).getMessage();
        assertTrue(msg.contains("--batch (9") && msg.contains("--workers (2)"), msg);
        msg = assertThrows(IllegalArgumentException.class, () -> SparkPretrain.check(
                PretrainOptions.parse(new String[] {"--text", "a", "--out", "o", "--time-limit", "60"}), 2)).getMessage();
        assertTrue(msg.contains("--time-limit"), msg);
    }
}
