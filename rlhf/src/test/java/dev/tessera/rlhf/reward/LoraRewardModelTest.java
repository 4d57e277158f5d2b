package dev.tessera.rlhf.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.nn.lora.LoraConfig;
import dev.tessera.rlhf.TinyLm;
import dev.tessera.rlhf.model.LoraLm;
import dev.tessera.rlhf.model.RewardModel;
import dev.tessera.rlhf.model.TrainSettings;
import dev.tessera.rlhf.sft.ChatFormat;
import dev.tessera.rlhf.sft.SftTrainer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The reward model and SFT train adapters only when their model carries LoRA adapters. */
class LoraRewardModelTest {
    private static Map<String, INDArray> snapshot(TinyLm lm) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        lm.module().stateDict().forEach((k, v) -> m.put(k, v.dup()));
        return m;
    }

    private static void assertUnchanged(Map<String, INDArray> before, TinyLm lm) {
        lm.module().stateDict().forEach((k, v) -> assertArrayEquals(before.get(k).data().asFloat(), v.dup().data().asFloat(),
                0f, k + " must not move"));
    }

    @Test
    void adapterOnlyRewardModelLearnsTheRankingWithAFrozenTrunk() {
        Rng rng = new Rng(7);
        List<RankedGroup> train = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int[] prompt = {1, 4 + rng.nextInt(4), 2};
            train.add(new RankedGroup(prompt, List.of(new int[] {4 + rng.nextInt(4), 9}, new int[] {4 + rng.nextInt(4), 10},
                    new int[] {4 + rng.nextInt(4), 5 + rng.nextInt(3)})));
        }
        TinyLm base = new TinyLm(12, 8, 16, 4, DataType.FLOAT);
        Map<String, INDArray> before = snapshot(base);
        RewardModel rm = new RewardModel(LoraLm.attach(base, new LoraConfig(4, 8, 0, List.of("mix")), new Rng(5)),
                new Rng(104));
        assertEquals(List.of("trunk.mix.lora_A", "trunk.mix.lora_B", "head.weight", "head.bias"),
                List.copyOf(rm.trainableParameters().keySet()));
        RewardModelTrainer t = new RewardModelTrainer(rm, TrainSettings.of(0.03), 0);
        double first = RewardModelTrainer.pairwiseAccuracy(rm, train, 0, 8);
        for (int step = 0; step < 40; step++) {
            t.step(train.subList((step % 3) * 8, (step % 3) * 8 + 8));
        }
        double after = RewardModelTrainer.pairwiseAccuracy(rm, train, 0, 8);
        assertTrue(after > 0.95 && after > first, "pairwise accuracy " + first + " -> " + after);
        assertUnchanged(before, base);
    }

    @Test
    void adapterOnlySftLowersTheLossWithAFrozenBase() {
        TinyLm base = new TinyLm(12, 16, 16, 3, DataType.FLOAT);
        Map<String, INDArray> before = snapshot(base);
        LoraLm lm = LoraLm.attach(base, new LoraConfig(4, 8, 0, List.of("mix", "out")), new Rng(5));
        SftTrainer t = new SftTrainer(lm, new ChatFormat(1, 2, 3, 0), TrainSettings.of(0.03));
        List<int[]> prompts = List.of(new int[] {4, 5}, new int[] {6}, new int[] {5, 5, 4});
        List<int[]> responses = List.of(new int[] {9, 9}, new int[] {9, 8}, new int[] {8});
        double first = t.step(prompts, responses).loss().item();
        double last = first;
        for (int i = 0; i < 30; i++) {
            last = t.step(prompts, responses).loss().item();
        }
        assertTrue(last < first - 0.5, first + " -> " + last);
        assertUnchanged(before, base);
    }
}
