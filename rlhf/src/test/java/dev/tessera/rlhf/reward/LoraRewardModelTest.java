package dev.tessera.rlhf.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.nn.lora.LoraConfig;
import dev.tessera.rlhf.TinyLm;
import dev.tessera.rlhf.model.LoraLm;
import dev.tessera.rlhf.model.RewardModel;
import dev.tessera.rlhf.Fit;
import dev.tessera.rlhf.chat.PlainChatTemplate;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.sft.SftObjective;
import dev.tessera.training.loop.OnNonFinite;
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
        double first = RewardModelObjective.pairwiseAccuracy(rm, train, 0, 8);
        List<List<RankedGroup>> batches = List.of(train.subList(0, 8), train.subList(8, 16), train.subList(16, 24));
        Fit.run(Fit.trainer(rm, rm.trainableParameters(), 0.03, new RewardModelObjective(rm, 0), Fit.fixed(batches), 40,
                OnNonFinite.STOP, null));
        double after = RewardModelObjective.pairwiseAccuracy(rm, train, 0, 8);
        assertTrue(after > 0.95 && after > first, "pairwise accuracy " + first + " -> " + after);
        assertUnchanged(before, base);
    }

    @Test
    void adapterOnlySftLowersTheLossWithAFrozenBase() {
        TinyLm base = new TinyLm(12, 16, 16, 3, DataType.FLOAT);
        Map<String, INDArray> before = snapshot(base);
        LoraLm lm = LoraLm.attach(base, new LoraConfig(4, 8, 0, List.of("mix", "out")), new Rng(5));
        List<int[]> prompts = List.of(new int[] {4, 5}, new int[] {6}, new int[] {5, 5, 4});
        List<int[]> responses = List.of(new int[] {9, 9}, new int[] {9, 8}, new int[] {8});
        SequenceBatch batch = SequenceBatch.of(new PlainChatTemplate(1, 2, 3, 0), prompts, responses);
        Fit.Run run = Fit.run(Fit.trainer(lm.module(), lm.trainableParameters(), 0.03, new SftObjective(lm),
                Fit.fixed(List.of(batch)), 31, OnNonFinite.STOP, null));
        assertTrue(run.lastLoss() < run.firstLoss() - 0.5, run.firstLoss() + " -> " + run.lastLoss());
        assertUnchanged(before, base);
    }
}
