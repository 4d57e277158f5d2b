package dev.tessera.rlhf.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.Fit;
import dev.tessera.rlhf.TinyLm;
import dev.tessera.rlhf.chat.ChatTemplate;
import dev.tessera.rlhf.chat.PlainChatTemplate;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.math.LogProbs;
import dev.tessera.rlhf.math.Masked;
import dev.tessera.training.checkpoint.CheckpointStore;
import dev.tessera.training.loop.BatchLoss;
import dev.tessera.training.loop.OnNonFinite;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.StopReason;
import dev.tessera.training.loop.Trainer;
import dev.tessera.training.loop.TrainingListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class SftObjectiveTest {
    private final ChatTemplate chat = new PlainChatTemplate(1, 2, 3, 0);

    @Test
    void lossCoversResponseTokensOnly() {
        SequenceBatch b = SequenceBatch.of(chat, List.of(new int[] {7}, new int[] {7, 8, 8}), List.of(new int[] {9}, new int[] {5}));
        assertArrayEquals(new int[] {-100, -100, -100, 9, 3, -100, -100, /**/ -100, -100, -100, -100, -100, 5, 3},
                SftObjective.responseTargets(b).dup('c').data().asInt());
        TinyLm lm = new TinyLm(12, 8, 16, 4, DataType.DOUBLE);
        SftObjective objective = new SftObjective(lm);
        assertEquals(4, objective.count(b));
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            double loss = SftObjective.loss(lm, b).loss().item();
            Tensor lp = LogProbs.ofSequence(lm.forward(b.ids()), b.ids());
            double expected = -Masked.mean(lp, Tensor.constant(b.targetMask(DataType.DOUBLE))).item();
            assertEquals(expected, loss, 1e-12);
            assertEquals(4, SftObjective.loss(lm, b).validTokens());
            BatchLoss mean = objective.compute(b, 4);
            assertEquals(expected, mean.loss().item(), 1e-12);
            assertEquals(4 * expected, mean.sum(), 1e-12);
            assertEquals(4, mean.count());
            // with a step-wide normaliser (another micro-batch of 4 tokens) the batch contributes half
            assertEquals(expected / 2, objective.compute(b, 8).loss().item(), 1e-12);
        }
    }

    /** The batches of the pinned run: two conversations each, prompts and responses of varying length. */
    private static List<SequenceBatch> pinnedBatches(ChatTemplate chat) {
        List<SequenceBatch> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            out.add(SequenceBatch.of(chat, List.of(new int[] {7, 8 - i % 2}, new int[] {8, 7, 4 + i}),
                    List.of(new int[] {9, 10}, new int[] {10 - i % 2})));
        }
        return out;
    }

    @Test
    void theLoopGivesTheLossesOfTheHandWrittenSftLoop() {
        // step losses of the hand-written SFT loop this objective replaced (AdamW 0.05, betas
        // 0.9/0.95, clip 1), on the same model and batches: the shared loop changes nothing
        double[] pinned = {2.4829702377319336, 2.3250508308410645, 1.8289726972579956, 1.2537747621536255};
        TinyLm lm = new TinyLm(12, 16, 16, 5, DataType.FLOAT);
        Fit.Run run = Fit.run(Fit.trainer(lm.module(), 0.05, new SftObjective(lm), Fit.fixed(pinnedBatches(chat)), 4,
                OnNonFinite.STOP, null));
        for (int i = 0; i < 4; i++) {
            // 1e-6, not 0: the pinned values came from MKL's float32 sgemm; on CPUs where the backend
            // picks oneDNN the same products round differently in the last bits
            assertEquals(pinned[i], run.steps().get(i).loss(), 1e-6, "step " + (i + 1));
        }
    }

    @Test
    void trainingFitsTheResponses() {
        TinyLm lm = new TinyLm(12, 16, 16, 5, DataType.FLOAT);
        SequenceBatch b = SequenceBatch.of(chat, List.of(new int[] {7, 8}, new int[] {8, 7}),
                List.of(new int[] {9, 10}, new int[] {10, 9}));
        Fit.Run run = Fit.run(Fit.trainer(lm.module(), 0.05, new SftObjective(lm), Fit.fixed(List.of(b)), 61,
                OnNonFinite.STOP, null));
        assertEquals(StopReason.COMPLETED, run.result().reason());
        assertEquals(61, run.steps().size());
        assertTrue(Double.isFinite(run.lastLoss()) && run.lastLoss() < run.firstLoss() * 0.5,
                "SFT loss " + run.firstLoss() + " -> " + run.lastLoss());
        assertEquals(6, run.steps().get(0).tokens(), "two responses of 2 tokens plus their end markers");
        assertTrue(run.steps().get(60).metric("accuracy") > 0.5, "accuracy " + run.steps().get(60).metric("accuracy"));
    }

    @Test
    void resumingFromACheckpointReproducesTheUninterruptedRun(@TempDir Path dir) throws IOException {
        List<SftObjective.Example> examples = new ArrayList<>();
        Rng data = new Rng(3);
        for (int i = 0; i < 7; i++) {
            examples.add(new SftObjective.Example(new int[] {4 + data.nextInt(6), 4 + data.nextInt(6)},
                    new int[] {4 + data.nextInt(6), 4 + data.nextInt(6), 4 + data.nextInt(6)}));
        }
        int steps = 6;
        // uninterrupted: 6 steps of 3 examples over 7 (batches straddle the epochs' shuffles)
        TinyLm whole = new TinyLm(12, 16, 16, 8, DataType.FLOAT);
        Fit.run(Fit.trainer(whole.module(), 0.03, new SftObjective(whole), SftObjective.batches(examples, chat, 3, new Rng(9)),
                steps, OnNonFinite.STOP, null));

        // interrupted after 2 steps; a fresh process (other initial weights, fresh generator) resumes
        CheckpointStore store = new CheckpointStore(dir, 2);
        TinyLm first = new TinyLm(12, 16, 16, 8, DataType.FLOAT);
        Fit.run(Fit.trainer(first.module(), 0.03, new SftObjective(first), SftObjective.batches(examples, chat, 3, new Rng(9)),
                2, OnNonFinite.STOP, store));
        TinyLm resumed = new TinyLm(12, 16, 16, 99, DataType.FLOAT);
        Trainer t = Fit.trainer(resumed.module(), 0.03, new SftObjective(resumed),
                SftObjective.batches(examples, chat, 3, new Rng(12345)), steps, OnNonFinite.STOP, store);
        assertEquals(2L, t.resume().orElseThrow());
        Fit.Run rest = Fit.run(t);
        assertEquals(steps - 2, rest.steps().size());
        assertTrue(resumed.sameWeights(whole), "resumed weights differ from the uninterrupted run's");
        assertFalse(first.sameWeights(whole), "the interrupted run must differ before resuming, or the test proves nothing");
    }

    @Test
    void nonFiniteGradientStopsTheLoopNamingTheStep() {
        TinyLm lm = new TinyLm(12, 16, 16, 6, DataType.FLOAT);
        SequenceBatch b = SequenceBatch.of(chat, List.of(new int[] {7, 8}), List.of(new int[] {9, 10}));
        Trainer t = Fit.trainer(lm.module(), 0.05, new SftObjective(lm), Fit.fixed(List.of(b)), 3, OnNonFinite.STOP, null);
        TinyLm[] afterFirst = new TinyLm[1];
        t.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                afterFirst[0] = lm.copy();
                lm.poisonGradients = true; // finite loss, NaN gradients from step 2 on
            }
        });
        Fit.Run run = Fit.run(t);
        assertEquals(StopReason.NON_FINITE, run.result().reason());
        assertTrue(run.result().message().contains("step 2") && run.result().message().contains("gradient"),
                run.result().message());
        assertTrue(lm.sameWeights(afterFirst[0]), "no update may be applied from a non-finite gradient");
        assertEquals(1, t.step());
    }

    @Test
    void nonFiniteStepCanBeSkippedInstead() {
        TinyLm lm = new TinyLm(12, 16, 16, 6, DataType.FLOAT);
        SequenceBatch b = SequenceBatch.of(chat, List.of(new int[] {7, 8}), List.of(new int[] {9, 10}));
        TinyLm before = lm.copy();
        lm.poisonGradients = true;
        Trainer t = Fit.trainer(lm.module(), 0.05, new SftObjective(lm), Fit.fixed(List.of(b)), 1, OnNonFinite.SKIP_STEP, null);
        Fit.Run run = Fit.run(t);
        assertTrue(lm.sameWeights(before), "a skipped step changes nothing");
        assertEquals(1, t.skippedSteps());
        assertEquals(StopReason.COMPLETED, run.result().reason());
    }
}
