package dev.tessera.rlhf.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.rlhf.Fit;
import dev.tessera.rlhf.TinyLm;
import dev.tessera.training.loop.OnNonFinite;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.StopReason;
import dev.tessera.training.loop.Trainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class DpoObjectiveTest {

    static List<PreferencePair> pairs(int n, long seed) {
        Rng rng = new Rng(seed);
        List<PreferencePair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] prompt = {1, 4 + rng.nextInt(4), 2};
            out.add(new PreferencePair(prompt, new int[] {9, 4 + rng.nextInt(4), 3}, new int[] {10, 4 + rng.nextInt(4), 3}));
        }
        return out;
    }

    private static Fit.Run train(TinyLm policy, DpoObjective objective, double lr, List<int[]> batches, int steps,
            OnNonFinite onNonFinite) {
        return Fit.run(Fit.trainer(policy.module(), lr, objective, Fit.fixed(batches), steps, onNonFinite, null));
    }

    @Test
    void referenceIsRunOnceAndTheStartingLossIsLn2() {
        TinyLm policy = new TinyLm(12, 16, 16, 1, DataType.DOUBLE);
        TinyLm reference = policy.copy();
        DpoObjective o = new DpoObjective(policy, reference, pairs(10, 2), 0.1, 0, 0, 4);
        assertEquals(3, o.referenceForwards()); // ceil(10 / 4) chunks, at construction
        int callsAfterSetup = reference.hiddenCalls;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertEquals(Math.log(2), o.loss(new int[] {0, 1, 2, 3, 4}).loss().item(), 1e-12, "policy == reference");
        }
        train(policy, o, 0.01, List.of(new int[] {0, 1}, new int[] {1, 2}, new int[] {2, 3}), 3, OnNonFinite.STOP);
        assertEquals(callsAfterSetup, reference.hiddenCalls, "no reference forward during training");
    }

    @Test
    void theLoopGivesTheLossesOfTheHandWrittenDpoLoop() {
        // step losses of the hand-written DPO loop this objective replaced (AdamW 0.03, betas
        // 0.9/0.95, clip 1, β 0.5), on the same model, pairs and batches
        double[] pinned = {0.6931471824645996, 0.6538856029510498, 0.5220842361450195, 0.34903842210769653};
        TinyLm policy = new TinyLm(12, 16, 16, 3, DataType.FLOAT);
        DpoObjective o = new DpoObjective(policy, policy.copy(), pairs(8, 4), 0.5, 0, 0, 8);
        List<int[]> batches = new ArrayList<>();
        for (int step = 0; step < 4; step++) {
            batches.add(new int[] {(2 * step) % 8, (2 * step + 1) % 8, (2 * step + 5) % 8});
        }
        Fit.Run run = train(policy, o, 0.03, batches, 4, OnNonFinite.STOP);
        for (int i = 0; i < 4; i++) {
            // 1e-6, not 0: the pinned values came from MKL's float32 sgemm; on CPUs where the backend
            // picks oneDNN the same products round differently in the last bits
            assertEquals(pinned[i], run.steps().get(i).loss(), 1e-6, "step " + (i + 1));
        }
    }

    @Test
    void trainingPrefersTheChosenResponses() {
        TinyLm policy = new TinyLm(12, 16, 16, 3, DataType.FLOAT);
        List<PreferencePair> data = pairs(16, 4);
        DpoObjective o = new DpoObjective(policy, policy.copy(), data, 0.5, 0, 0, 8);
        int[] all = new int[16];
        for (int i = 0; i < 16; i++) {
            all[i] = i;
        }
        Fit.Run run = train(policy, o, 0.03, List.of(all), 31, OnNonFinite.STOP);
        StepMetrics last = run.steps().get(30);
        assertTrue(run.lastLoss() < run.firstLoss() - 0.2, run.firstLoss() + " -> " + run.lastLoss());
        assertEquals(1.0, last.metric("accuracy"), 0);
        assertTrue(last.metric("margin") > 0);
        assertEquals(16, last.tokens(), "the count is the batch's pairs");
    }

    @Test
    void aReferenceOverThePolicysParametersIsRejected() {
        TinyLm p = new TinyLm(12, 8, 16, 1, DataType.FLOAT);
        for (TinyLm ref : List.of(p.alias(), p.storageAlias())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new DpoObjective(p, ref, pairs(2, 1), 0.1, 0, 0, 4));
            assertTrue(e.getMessage().contains("reference") && e.getMessage().contains("wte"), e.getMessage());
        }
    }

    @Test
    void nonFiniteGradientStopsTheLoopNamingTheStep() {
        TinyLm policy = new TinyLm(12, 8, 16, 5, DataType.FLOAT);
        DpoObjective o = new DpoObjective(policy, policy.copy(), pairs(4, 6), 0.1, 0, 0, 4);
        TinyLm before = policy.copy();
        policy.poisonGradients = true; // finite loss, NaN gradients
        Trainer t = Fit.trainer(policy.module(), 0.01, o, Fit.fixed(List.of(new int[] {2, 3})), 2, OnNonFinite.STOP, null);
        Fit.Run run = Fit.run(t);
        assertEquals(StopReason.NON_FINITE, run.result().reason());
        assertTrue(run.result().message().contains("step 1") && run.result().message().contains("gradient"),
                run.result().message());
        assertTrue(policy.sameWeights(before), "no update may be applied from a non-finite gradient");
    }

    @Test
    void hostileSettingsAreRejectedUpFront() {
        TinyLm p = new TinyLm(12, 8, 16, 1, DataType.FLOAT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DpoObjective(p, p.copy(), pairs(2, 1), 0.1, 0, 0, 0));
        assertTrue(e.getMessage().contains("chunk") && e.getMessage().contains("0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DpoObjective(p, p.copy(), pairs(2, 1), Double.NaN, 0, 0, 4));
        assertTrue(e.getMessage().contains("beta"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DpoObjective(p, p.copy(), pairs(2, 1), 0.1, 0.5, 0, 4));
        assertTrue(e.getMessage().contains("labelSmoothing"), e.getMessage());
        DpoObjective o = new DpoObjective(p, p.copy(), pairs(2, 1), 0.1, 0, 0, 4);
        e = assertThrows(IllegalArgumentException.class, () -> o.count(new int[] {0, 2}));
        assertTrue(e.getMessage().contains("2"), e.getMessage());
    }

    @Test
    void badInputIsRejected() {
        TinyLm p = new TinyLm(12, 8, 16, 1, DataType.FLOAT);
        assertThrows(IllegalArgumentException.class, () -> new DpoObjective(p, p, pairs(2, 1), 0.1, 0, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> new DpoObjective(p, p.copy(), List.of(), 0.1, 0, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> new PreferencePair(new int[] {1}, new int[0], new int[] {2}));
    }
}
