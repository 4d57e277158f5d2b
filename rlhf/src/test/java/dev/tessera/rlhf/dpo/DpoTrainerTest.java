package dev.tessera.rlhf.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.rlhf.TinyLm;
import dev.tessera.rlhf.model.TrainSettings;
import dev.tessera.training.loop.OnNonFinite;
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
    void aReferenceOverThePolicysParametersIsRejected() {
        TinyLm p = new TinyLm(12, 8, 16, 1, DataType.FLOAT);
        for (TinyLm ref : List.of(p.alias(), p.storageAlias())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new DpoTrainer(p, ref, pairs(2, 1), 0.1, 0, TrainSettings.of(0.01), 0, 4));
            assertTrue(e.getMessage().contains("reference") && e.getMessage().contains("wte"), e.getMessage());
        }
    }

    @Test
    void nonFiniteGradientStopsByDefaultNamingTheStep() {
        TinyLm policy = new TinyLm(12, 8, 16, 5, DataType.FLOAT);
        DpoTrainer t = new DpoTrainer(policy, policy.copy(), pairs(4, 6), 0.1, 0, TrainSettings.of(0.01), 0, 4);
        t.step(new int[] {0, 1});
        TinyLm before = policy.copy();
        policy.poisonGradients = true; // finite loss, NaN gradients
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.step(new int[] {2, 3}));
        assertTrue(e.getMessage().contains("DPO step 2") && e.getMessage().contains("gradient"), e.getMessage());
        assertTrue(policy.sameWeights(before), "no update may be applied from a non-finite gradient");
    }

    @Test
    void hostileSettingsAreRejectedUpFront() {
        TinyLm p = new TinyLm(12, 8, 16, 1, DataType.FLOAT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DpoTrainer(p, p.copy(), pairs(2, 1), 0.1, 0, TrainSettings.of(0.01), 0, 0));
        assertTrue(e.getMessage().contains("chunk") && e.getMessage().contains("0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new DpoTrainer(p, p.copy(), pairs(2, 1), Double.NaN, 0, TrainSettings.of(0.01), 0, 4));
        assertTrue(e.getMessage().contains("beta"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new DpoTrainer(p, p.copy(), pairs(2, 1), 0.1, 0.5, TrainSettings.of(0.01), 0, 4));
        assertTrue(e.getMessage().contains("labelSmoothing"), e.getMessage());
        DpoTrainer t = new DpoTrainer(p, p.copy(), pairs(2, 1), 0.1, 0, TrainSettings.of(0.01), 0, 4);
        e = assertThrows(IllegalArgumentException.class, () -> t.step(new int[] {0, 2}));
        assertTrue(e.getMessage().contains("2"), e.getMessage());
    }

    @Test
    void badInputIsRejected() {
        TinyLm p = new TinyLm(12, 8, 16, 1, DataType.FLOAT);
        assertThrows(IllegalArgumentException.class, () -> new DpoTrainer(p, p, pairs(2, 1), 0.1, 0, TrainSettings.of(0.01), 0, 4));
        assertThrows(IllegalArgumentException.class, () -> new DpoTrainer(p, p.copy(), List.of(), 0.1, 0, TrainSettings.of(0.01), 0, 4));
        assertThrows(IllegalArgumentException.class, () -> new PreferencePair(new int[] {1}, new int[0], new int[] {2}));
    }

    @Test
    void nonFiniteStepCanBeSkippedInstead() {
        TinyLm policy = new TinyLm(12, 8, 16, 5, DataType.FLOAT);
        DpoTrainer t = new DpoTrainer(policy, policy.copy(), pairs(4, 6), 0.1, 0,
                TrainSettings.of(0.01).withOnNonFinite(OnNonFinite.SKIP_STEP), 0, 4);
        TinyLm before = policy.copy();
        policy.poisonGradients = true;
        t.step(new int[] {0, 1});
        assertTrue(policy.sameWeights(before));
        assertEquals(0, t.steps());
        assertEquals(1, t.skippedSteps());
    }
}
