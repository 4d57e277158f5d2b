package dev.tessera.rlhf.grpo;

import static dev.tessera.rlhf.GoodTokenTask.CHAT;
import static dev.tessera.rlhf.GoodTokenTask.prompts;
import static dev.tessera.rlhf.GoodTokenTask.ruleScores;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.nn.lora.LoraConfig;
import dev.tessera.rlhf.GoodTokenTask;
import dev.tessera.rlhf.TinyLm;
import dev.tessera.rlhf.model.LoraLm;
import dev.tessera.rlhf.ppo.Rollouts;
import dev.tessera.training.loop.OnNonFinite;
import dev.tessera.training.optim.OptimizerSettings;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class GroupPolicyTrainerTest {
    private static double improvement(GroupConfig cfg, long seed, int iterations) {
        TinyLm policy = new TinyLm(12, 16, 16, seed, DataType.FLOAT);
        TinyLm reference = policy.copy();
        TinyLm frozen = policy.copy();
        GroupPolicyTrainer t = new GroupPolicyTrainer(policy, reference, GoodTokenTask::ruleScores, cfg,
                OptimizerSettings.adamW(0.05), 1.0, OnNonFinite.STOP, CHAT, new Rng(seed + 1));
        Rng rng = new Rng(seed + 2);
        GroupStats first = t.step(prompts(rng, cfg.prompts()));
        assertEquals(1.0, first.firstRatioMean(), 0, "the first minibatch is on-policy");
        assertEquals(0.0, first.klToReference(), 1e-6, "policy = reference before the first update");
        GroupStats last = first;
        for (int i = 1; i < iterations; i++) {
            last = t.step(prompts(rng, cfg.prompts()));
        }
        reference.module().stateDict().forEach((k, v) -> assertArrayEquals(frozen.module().stateDict().get(k).data().asFloat(),
                v.dup().data().asFloat(), 0f, "the reference must not move: " + k));
        assertTrue(last.klToReference() > 0, "the policy moved away from the reference");
        return last.meanScore() - first.meanScore();
    }

    @Test
    void grpoRaisesAToyReward() {
        double gain = improvement(GroupConfig.grpo(8, 4, 16, 4), 4, 8);
        assertTrue(gain > 0.15, "GRPO gain " + gain);
    }

    @Test
    void rlooRaisesAToyReward() {
        double gain = improvement(GroupConfig.rloo(8, 4, 16, 4), 4, 8);
        assertTrue(gain > 0.15, "RLOO gain " + gain);
    }

    @Test
    void adapterOnlyGrpoAgainstTheBaseKeepsEveryBaseWeightBitIdentical() {
        TinyLm sft = new TinyLm(12, 16, 16, 4, DataType.FLOAT);
        TinyLm frozen = sft.copy();
        LoraLm policy = LoraLm.attach(sft, new LoraConfig(4, 8, 0, List.of("mix", "out")), new Rng(5));
        GroupPolicyTrainer t = new GroupPolicyTrainer(policy, policy.base(), GoodTokenTask::ruleScores,
                GroupConfig.grpo(8, 4, 16, 4), OptimizerSettings.adamW(0.05), 1.0, OnNonFinite.STOP, CHAT, new Rng(6));
        Rng rng = new Rng(7);
        GroupStats first = t.step(prompts(rng, 8));
        GroupStats last = first;
        for (int i = 1; i < 8; i++) {
            last = t.step(prompts(rng, 8));
        }
        assertTrue(last.meanScore() > first.meanScore() + 0.1, first.meanScore() + " -> " + last.meanScore());
        assertTrue(last.klToReference() > 0, "the adapters moved the policy away from the base");
        sft.module().stateDict().forEach((k, v) -> assertArrayEquals(frozen.module().stateDict().get(k).data().asFloat(),
                v.dup().data().asFloat(), 0f, k + " must not move"));
    }

    @Test
    void groupsWithEqualScoresGiveNoUpdate() {
        TinyLm policy = new TinyLm(12, 16, 16, 5, DataType.DOUBLE);
        TinyLm before = policy.copy();
        GroupPolicyTrainer t = new GroupPolicyTrainer(policy, policy.copy(), ro -> new double[ro.responses().size()],
                GroupConfig.grpo(4, 2, 8, 4).withBeta(0), OptimizerSettings.adamW(0.05), 1.0, OnNonFinite.STOP, CHAT, new Rng(6));
        GroupStats s = t.step(prompts(new Rng(7), 4));
        assertEquals(4, s.flatGroups());
        assertEquals(0.0, s.loss(), 0);
        policy.module().stateDict().forEach((k, v) -> assertArrayEquals(before.module().stateDict().get(k).data().asDouble(),
                v.data().asDouble(), 0.0, k));
    }

    @Test
    void completionsComeInGroupsOfTheSamePrompt() {
        TinyLm policy = new TinyLm(12, 16, 16, 8, DataType.FLOAT);
        GroupPolicyTrainer t = new GroupPolicyTrainer(policy, policy.copy(), GoodTokenTask::ruleScores,
                GroupConfig.rloo(3, 2, 6, 4), OptimizerSettings.adamW(0.05), 1.0, OnNonFinite.STOP, CHAT, new Rng(9));
        List<int[]> p = List.of(new int[] {4}, new int[] {5, 6}, new int[] {6});
        Rollouts ro = t.rollout(p);
        assertEquals(6, ro.prompts().size());
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(CHAT.prompt(p.get(i / 2)), ro.prompts().get(i));
        }
    }

    @Test
    void badArgumentsAreNamed() {
        TinyLm policy = new TinyLm(12, 16, 16, 8, DataType.FLOAT);
        GroupPolicyTrainer t = new GroupPolicyTrainer(policy, policy.copy(), GoodTokenTask::ruleScores,
                GroupConfig.grpo(2, 2, 4, 4), OptimizerSettings.adamW(0.05), 1.0, OnNonFinite.STOP, CHAT, new Rng(9));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.step(prompts(new Rng(1), 3)));
        assertTrue(e.getMessage().contains("expected prompts = 2") && e.getMessage().contains("3"), e.getMessage());
        Rollouts ro = t.rollout(prompts(new Rng(1), 2));
        e = assertThrows(IllegalArgumentException.class, () -> t.optimise(ro, new double[] {1, 2, Double.NaN, 0}));
        assertTrue(e.getMessage().contains("scores[2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GroupPolicyTrainer(policy, policy,
                GoodTokenTask::ruleScores, GroupConfig.grpo(2, 2, 4, 4), OptimizerSettings.adamW(0.05), 1.0, OnNonFinite.STOP, CHAT, new Rng(9)));
        assertTrue(e.getMessage().contains("reference"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GroupConfig.grpo(2, 1, 2, 4));
        assertTrue(e.getMessage().contains("groupSize must be >= 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GroupConfig.grpo(3, 2, 4, 4));
        assertTrue(e.getMessage().contains("divide prompts × groupSize = 6"), e.getMessage());
    }

    @Test
    void aSeedGivesTheSameSamplesAndUpdatesAgain() {
        List<GroupStats> runs = new ArrayList<>();
        List<List<int[]>> responses = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            TinyLm policy = new TinyLm(12, 16, 16, 4, DataType.FLOAT);
            GroupPolicyTrainer t = new GroupPolicyTrainer(policy, policy.copy(), GoodTokenTask::ruleScores,
                    GroupConfig.grpo(4, 4, 16, 4), OptimizerSettings.adamW(0.05), 1.0, OnNonFinite.STOP, CHAT,
                    new Rng(21));
            // prompts of mixed lengths: the Generator left-pads them in one batch
            List<int[]> p = List.of(new int[] {4}, new int[] {5, 6, 4}, new int[] {6, 5}, new int[] {4, 4});
            t.step(p);
            Rollouts ro = t.rollout(p);
            responses.add(ro.responses());
            runs.add(t.optimise(ro, ruleScores(ro)));
        }
        assertEquals(runs.get(0), runs.get(1));
        for (int i = 0; i < responses.get(0).size(); i++) {
            assertArrayEquals(responses.get(0).get(i), responses.get(1).get(i), "completion " + i);
        }
    }

    @Test
    void aNonFiniteGradientStopsOrIsSkippedAsAsked() {
        TinyLm policy = new TinyLm(12, 16, 16, 3, DataType.DOUBLE);
        TinyLm before = policy.copy();
        GroupPolicyTrainer skipping = new GroupPolicyTrainer(policy, policy.copy(), GoodTokenTask::ruleScores,
                GroupConfig.grpo(2, 2, 2, 4), OptimizerSettings.adamW(0.05), 1.0, OnNonFinite.SKIP_STEP, CHAT, new Rng(3));
        Rollouts ro = skipping.rollout(prompts(new Rng(4), 2));
        double[] scores = {1, 0, 0, 1}; // both groups carry signal
        policy.poisonGradients = true;
        GroupStats s = skipping.optimise(ro, scores);
        assertEquals(0, s.minibatchSteps());
        assertEquals(2, s.skippedSteps());
        policy.module().stateDict().forEach((k, v) -> assertArrayEquals(before.module().stateDict().get(k).data().asDouble(),
                v.data().asDouble(), 0.0, k + " must not move"));
        GroupPolicyTrainer stopping = new GroupPolicyTrainer(policy, before, GoodTokenTask::ruleScores,
                GroupConfig.grpo(2, 2, 2, 4), OptimizerSettings.adamW(0.05), 1.0, OnNonFinite.STOP, CHAT, new Rng(3));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> stopping.optimise(ro, scores));
        assertTrue(e.getMessage().contains("non-finite gradient"), e.getMessage());
    }
}
