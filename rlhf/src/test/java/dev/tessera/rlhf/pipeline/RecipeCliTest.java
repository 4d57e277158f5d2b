package dev.tessera.rlhf.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

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
            "--steps-rm", "9", "--steps-ppo", "3", "--steps-dpo", "4", "--ptx", "0.25", "--kl-target", "0.75", "--out", "x/y"});
        RecipeConfig c = p.config();
        assertEquals(42, c.seed());
        assertEquals(ModelSize.TINY, c.size());
        assertEquals(7, c.pretrain().steps());
        assertEquals(8, c.sft().steps());
        assertEquals(9, c.reward().steps());
        assertEquals(3, c.ppo().iterations());
        assertEquals(4, c.dpo().steps());
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
                .getMessage().contains("ptxCoef"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RecipeCli.parse(new String[] {"--out"}))
                .getMessage().contains("--out"));
    }
}
