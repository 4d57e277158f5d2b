package dev.tessera.rlhf.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.rlhf.pipeline.ModelSize;
import dev.tessera.rlhf.pipeline.RecipeConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeCliTest {
    @Test
    void defaultsWithoutArguments() {
        var p = RecipeCli.parse(new String[0]);
        assertEquals(RecipeConfig.defaults(), p.config());
        assertEquals(Path.of("target", "recipe"), p.out());
    }

    @Test
    void flagsOverrideTheirFields() {
        var p = RecipeCli.parse(new String[] {"--seed", "42", "--size", "tiny", "--steps-pretrain", "7", "--steps-sft", "8",
            "--steps-rm", "9", "--steps-ppo", "3", "--steps-dpo", "4", "--steps-grpo", "5", "--grpo-beta", "0.5",
            "--ptx", "0.25", "--kl-target", "0.75",
            "--out", "x/y"});
        RecipeConfig c = p.config();
        assertEquals(42, c.seed());
        assertEquals(ModelSize.TINY, c.size());
        assertEquals(7, c.pretrain().steps());
        assertEquals(8, c.sft().steps());
        assertEquals(9, c.reward().steps());
        assertEquals(3, c.ppo().iterations());
        assertEquals(4, c.dpo().steps());
        assertEquals(5, c.grpo().iterations());
        assertEquals(0.5, c.grpo().beta());
        assertEquals(RecipeConfig.defaults().grpo().groupSize(), c.grpo().groupSize());
        assertEquals(0.25, c.ppo().ptxCoef());
        assertEquals(0.75, c.ppo().klTarget());
        assertEquals(RecipeConfig.defaults().ppo().learningRate(), c.ppo().learningRate());
        assertEquals(Path.of("x/y"), p.out());
    }

    @Test
    void presetAppliesBeforeOtherFlags() {
        var p = RecipeCli.parse(new String[] {"--seed", "3", "--preset", "tiny"});
        assertEquals(RecipeConfig.tiny().withSeed(3), p.config());
        assertEquals(RecipeConfig.defaults().scaleSteps(0.5), RecipeCli.parse(new String[] {"--steps-scale", "0.5"}).config());
    }

    @Test
    void badArgumentsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RecipeCli.parse(new String[] {"--seed", "x"}))
                .getMessage().contains("--seed"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RecipeCli.parse(new String[] {"--size", "huge"}))
                .getMessage().contains("--size"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RecipeCli.parse(new String[] {"--bogus"}))
                .getMessage().contains("--bogus"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RecipeCli.parse(new String[] {"--ptx", "-1"}))
                .getMessage().contains("--ptx"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RecipeCli.parse(new String[] {"--out"}))
                .getMessage().contains("--out"));
    }

    @TempDir
    Path dir;

    record Result(int status, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = RecipeCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Issue 15 item 6: the help's defaults are the configuration's (it said --ptx 0 while the code used 0.05). */
    @Test
    void helpShowsTheDefaultsOfTheConfiguration() {
        Result r = run("--help");
        assertEquals(0, r.status(), r.toString());
        assertEquals("", r.err());
        RecipeConfig d = RecipeConfig.defaults();
        String ptx = r.out().lines().filter(l -> l.trim().startsWith("--ptx")).findFirst().orElseThrow();
        assertTrue(ptx.contains("(default " + d.ppo().ptxCoef() + ")"), ptx);
        String kl = r.out().lines().filter(l -> l.trim().startsWith("--kl-target")).findFirst().orElseThrow();
        assertTrue(kl.contains("(default " + d.ppo().klTarget() + ")"), kl);
        String steps = r.out().lines().filter(l -> l.trim().startsWith("--steps-ppo")).findFirst().orElseThrow();
        assertTrue(steps.contains("(default " + d.ppo().iterations() + ")"), steps);
    }

    /** Issue 15 item 6: every bad input is one line naming the option and value, status 2, nothing printed or written. */
    @Test
    void everyBadInputIsOneLineStatusTwoAndNoOutput() throws IOException {
        Path out = dir.resolve("out");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Files.write(dir.resolve("empty.txt"), new byte[0]);
        Files.write(dir.resolve("binary.txt"), new byte[] {'a', '\n', (byte) 0xC3, '('});
        String[][] cases = {
            {"--seed must be an integer but was 'x'", "--seed", "x"},
            {"--size must be one of tiny, small, medium but was 'huge'", "--size", "huge"},
            {"--preset must be one of default, tiny but was 'big'", "--preset", "big"},
            {"unknown option '--bogus'", "--bogus"},
            {"unexpected argument 'tiny'", "tiny"},
            {"--ptx must be in [0.0", "--ptx", "-1"},
            {"--ptx must be a decimal number but was 'Infinity'", "--ptx", "Infinity"},
            {"--kl-target must be > 0 but was 0", "--kl-target", "0"},
            {"--steps-scale must be > 0 but was 0", "--steps-scale", "0"},
            {"--steps-scale must be a decimal number but was 'NaN'", "--steps-scale", "NaN"},
            {"--steps-ppo must be >= 1 but was -1", "--steps-ppo", "-1"},
            {"--rm-k must be in [2, 9] but was 10", "--rm-k", "10"},
            {"--rm-readout must be one of last, sum, sum-lm but was 'mean'", "--rm-readout", "mean"},
            {"--out needs a value", "--out"},
            {"--out '" + file + "' is a file", "--out", file.toString()},
            {"--pretrain-text '" + dir.resolve("missing.txt") + "' does not exist", "--pretrain-text",
                dir.resolve("missing.txt").toString()},
            {"is a directory", "--pretrain-text", dir.toString()},
            {"is empty (0 bytes)", "--pretrain-text", dir.resolve("empty.txt").toString()},
            {"invalid UTF-8 at byte offset 2", "--pretrain-text", dir.resolve("binary.txt").toString()},
            {"--seed is given twice ('1' and '2')", "--seed", "1", "--seed", "2"},
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            if (!java.util.Arrays.asList(args).contains("--out")) {
                args = java.util.Arrays.copyOf(args, args.length + 2);
                args[args.length - 2] = "--out";
                args[args.length - 1] = out.toString();
            }
            Result r = run(args);
            String what = String.join(" ", args) + " -> " + r;
            assertEquals(2, r.status(), what);
            assertEquals("", r.out(), what);
            assertTrue(r.err().contains(c[0]), what);
            assertEquals(1, r.err().lines().count(), what);
            assertTrue(!Files.exists(out), what);
        }
    }
}
