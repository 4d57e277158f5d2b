package dev.tessera.rlhf.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole recipe at the tiny preset, twice with one seed: every stage runs, artifacts parse, tables agree. */
class RecipePipelineTest {
    @TempDir
    static Path dir;
    static RecipeResult first;
    static RecipeResult second;
    static final List<String> events = new ArrayList<>();

    @BeforeAll
    static void runTwice() throws Exception {
        RecipeListener recorder = new RecipeListener() {
            @Override
            public void onStageStart(Stage stage, long totalSteps) {
                events.add("start " + stage);
            }

            @Override
            public void onStep(Stage stage, long step, long totalSteps, String metricName, double metric, long tokens,
                    double seconds) {
                assertTrue(step >= 1 && step <= totalSteps, stage + " step " + step + " of " + totalSteps);
                assertTrue(Double.isFinite(metric), stage + " " + metricName + " " + metric);
            }

            @Override
            public void onStageEnd(Stage stage, String summary, double seconds) {
                events.add("end " + stage);
            }
        };
        first = new RecipePipeline(RecipeConfig.tiny(), recorder).run(dir.resolve("a"));
        second = new RecipePipeline(RecipeConfig.tiny(), RecipeListener.NONE).run(dir.resolve("b"));
    }

    @Test
    void everyStageRunsOnceInOrder() {
        List<String> expected = new ArrayList<>();
        for (Stage s : Stage.values()) {
            expected.add("start " + s);
            expected.add("end " + s);
        }
        assertEquals(expected, events);
        assertEquals(Stage.values().length, first.stageSeconds().size());
    }

    @Test
    void sameSeedSameTable() throws Exception {
        assertEquals(first.table(), second.table());
        assertEquals(Files.readString(first.csv()), Files.readString(second.csv()));
        assertEquals(Files.readString(first.json()), Files.readString(second.json()));
    }

    @Test
    void anotherSeedAnotherTable() throws Exception {
        RecipeResult other = new RecipePipeline(RecipeConfig.tiny().withSeed(8)
                .withPpo(RecipeConfig.tiny().ppo().withIterations(1).withEpochs(1)), RecipeListener.NONE).run(dir.resolve("c"));
        assertFalse(first.table().equals(other.table()), "seeds 7 and 8 gave equal tables: the seed is not used");
    }

    @Test
    void tableFiguresAreInRange() {
        RecipeTable t = first.table();
        assertEquals(RecipeConfig.tiny().seed(), t.seed());
        assertTrue(t.pretrainLoss() > 0 && Double.isFinite(t.pretrainLoss()), "pretraining loss " + t.pretrainLoss());
        assertEquals(Math.exp(t.pretrainLoss()), t.pretrainPerplexity(), 1e-9);
        assertTrue(t.rankedPrompts() >= 2, "ranked prompts " + t.rankedPrompts());
        assertTrue(t.rewardHeldOutPairs() >= 1);
        assertTrue(t.rewardHeldOutAccuracy() >= 0 && t.rewardHeldOutAccuracy() <= 1);
        for (PolicyScore s : List.of(t.sft(), t.ppo(), t.dpo(), t.grpo())) {
            assertTrue(s.score() >= 0 && s.score() <= 1, "score " + s.score());
            assertTrue(s.greedyScore() >= 0 && s.greedyScore() <= 1, "greedy score " + s.greedyScore());
            assertTrue(Double.isFinite(s.klToSft()), "KL " + s.klToSft());
        }
        assertEquals(0.0, t.sft().klToSft());
        assertEquals(RecipeConfig.tiny().eval().samples(), first.samples().size());
    }

    @Test
    void tokenizerIsWrittenBesideTheTables() {
        assertTrue(Files.isRegularFile(first.json().resolveSibling("tokenizer.json")));
        assertTrue(Files.isRegularFile(first.csv()));
    }

    @Test
    void jsonAndCsvCarryTheTable() throws Exception {
        JsonNode json = new ObjectMapper().readTree(first.json().toFile());
        RecipeTable t = first.table();
        assertEquals(t.seed(), json.get("seed").asLong());
        assertEquals(t.rewardHeldOutAccuracy(), json.get("rm_heldout_accuracy").asDouble());
        assertEquals(t.ppo().score(), json.get("ppo_score").asDouble());
        assertEquals(t.dpo().klToSft(), json.get("dpo_kl_to_sft").asDouble());
        assertEquals(t.grpo().score(), json.get("grpo_score").asDouble());
        assertEquals(t.grpo().sampledGainOver(t.sft()).mean(), json.get("grpo_gain").asDouble());
        List<String> csv = Files.readAllLines(first.csv());
        assertEquals("metric,value", csv.get(0));
        assertTrue(csv.contains("sft_score," + t.sft().score()), csv.toString());
        assertEquals(t.flat().size() + 2, csv.size());
    }
}
