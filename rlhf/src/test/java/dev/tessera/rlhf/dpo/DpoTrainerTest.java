package dev.tessera.rlhf.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.rlhf.TinyLm;
import dev.tessera.rlhf.model.TrainSettings;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class DpoTrainerTest {

    static List<PreferencePair> pairs(int n, long seed) {
        Rng rng = new Rng(seed);
        List<PreferencePair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] prompt = {1, 4 + rng.nextInt(4), 2};
            out.add(new PreferencePair(prompt, new int[] {9, 4 + rng.nextInt(4), 3}, new int[] {10, 4 + rng.nextInt(4), 3}));
        }
        return out;
    }

    @Test
    void referenceIsRunOnceAndTheStartingLossIsLn2() {
        TinyLm policy = new TinyLm(12, 16, 16, 1, DataType.DOUBLE);
        TinyLm reference = policy.copy();
        DpoTrainer t = new DpoTrainer(policy, reference, pairs(10, 2), 0.1, 0, TrainSettings.of(0.01), 0, 4);
        assertEquals(3, t.referenceForwards()); // ceil(10 / 4) chunks, at construction
        int callsAfterSetup = reference.hiddenCalls;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertEquals(Math.log(2), t.loss(new int[] {0, 1, 2, 3, 4}).loss().item(), 1e-12, "policy == reference");
        }
        for (int i = 0; i < 3; i++) {
            t.step(new int[] {i, i + 1});
        }
        assertEquals(callsAfterSetup, reference.hiddenCalls, "no reference forward during training");
    }

    @Test
    void trainingPrefersTheChosenResponses() {
        TinyLm policy = new TinyLm(12, 16, 16, 3, DataType.FLOAT);
        List<PreferencePair> data = pairs(16, 4);
        DpoTrainer t = new DpoTrainer(policy, policy.copy(), data, 0.5, 0, TrainSettings.of(0.03), 0, 8);
        int[] all = new int[16];
        for (int i = 0; i < 16; i++) {
            all[i] = i;
        }
        DpoLoss.Result first = t.step(all);
        DpoLoss.Result last = first;
        for (int i = 0; i < 30; i++) {
            last = t.step(all);
        }
        assertTrue(last.loss().item() < first.loss().item() - 0.2, first.loss().item() + " -> " + last.loss().item());
        assertEquals(1.0, last.accuracy(), 0);
        assertTrue(last.margin() > 0);
    }

    @Test
    void badInputIsRejected() {
        TinyLm p = new TinyLm(12, 8, 16, 1, DataType.FLOAT);
        assertThrows(IllegalArgumentException.class, () -> new DpoTrainer(p, p, pairs(2, 1), 0.1, 0, TrainSettings.of(0.01), 0, 4));
        assertThrows(IllegalArgumentException.class, () -> new DpoTrainer(p, p.copy(), List.of(), 0.1, 0, TrainSettings.of(0.01), 0, 4));
        assertThrows(IllegalArgumentException.class, () -> new PreferencePair(new int[] {1}, new int[0], new int[] {2}));
    }
}
