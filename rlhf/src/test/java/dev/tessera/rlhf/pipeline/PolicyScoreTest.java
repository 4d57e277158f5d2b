package dev.tessera.rlhf.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyScoreTest {

    private static PolicyScore of(List<Double> sampled, List<Double> greedy) {
        double s = sampled.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double g = greedy.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        return new PolicyScore(s, g, 0, 0, 0, 0, 0, 0, sampled, greedy);
    }

    @Test
    void standardErrorIsTheSampleSdOverRootN() {
        // values 0, 0.5, 1, 0.5: mean 0.5, sample variance (0.25 + 0 + 0.25 + 0) / 3 = 1/6
        PolicyScore p = of(List.of(0.0, 0.5, 1.0, 0.5), List.of(1.0, 1.0, 1.0, 1.0));
        assertEquals(Math.sqrt(1.0 / 6 / 4), p.scoreStdErr(), 1e-15);
        assertEquals(0.0, p.greedyStdErr(), 0);
    }

    @Test
    void gainsArePairedSoPromptDifficultyCancels() {
        // the base is bad on hard prompts (0.2) and good on easy ones (0.9); the other policy is 0.1 better on each
        PolicyScore base = of(List.of(0.2, 0.9, 0.2, 0.9), List.of(0.2, 0.9, 0.2, 0.9));
        PolicyScore better = of(List.of(0.3, 1.0, 0.3, 1.0), List.of(0.2, 1.0, 0.3, 0.9));
        PolicyScore.Estimate g = better.sampledGainOver(base);
        assertEquals(0.1, g.mean(), 1e-12);
        assertEquals(0.0, g.stdErr(), 1e-12, "a constant per-prompt gain has no spread");
        assertTrue(better.scoreStdErr() > 0.15, "unpaired, the prompts' spread would swamp the gain");
        // greedy differences 0, 0.1, 0.1, 0: mean 0.05, sample sd sqrt(4 · 0.05² / 3)
        PolicyScore.Estimate gg = better.greedyGainOver(base);
        assertEquals(0.05, gg.mean(), 1e-12);
        assertEquals(Math.sqrt(4 * 0.0025 / 3) / 2, gg.stdErr(), 1e-12);
    }

    @Test
    void mismatchedPromptsAreRejected() {
        PolicyScore a = of(List.of(0.1, 0.2), List.of(0.1, 0.2));
        PolicyScore b = of(List.of(0.1, 0.2, 0.3), List.of(0.1, 0.2, 0.3));
        assertThrows(IllegalArgumentException.class, () -> a.sampledGainOver(b));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PolicyScore(0, 0, 0, 0, 0, 0, 0, 0, List.of(0.1), List.of()));
        assertTrue(e.getMessage().contains("1 and 0"), e.getMessage());
    }
}
