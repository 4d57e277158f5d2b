package dev.tessera.rlhf.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.TinyLm;
import dev.tessera.rlhf.chat.PlainChatTemplate;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.math.LogProbs;
import dev.tessera.rlhf.math.Masked;
import dev.tessera.rlhf.model.TrainSettings;
import dev.tessera.training.loop.OnNonFinite;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class SftTrainerTest {
    private final PlainChatTemplate chat = new PlainChatTemplate(1, 2, 3, 0);

    @Test
    void lossCoversResponseTokensOnly() {
        SequenceBatch b = SequenceBatch.of(chat, List.of(new int[] {7}, new int[] {7, 8, 8}), List.of(new int[] {9}, new int[] {5}));
        assertArrayEquals(new int[] {-100, -100, -100, 9, 3, -100, -100, /**/ -100, -100, -100, -100, -100, 5, 3},
                SftTrainer.responseTargets(b).dup('c').data().asInt());
        TinyLm lm = new TinyLm(12, 8, 16, 4, DataType.DOUBLE);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            double loss = SftTrainer.loss(lm, b).loss().item();
            Tensor lp = LogProbs.ofSequence(lm.forward(b.ids()), b.ids());
            double expected = -Masked.mean(lp, Tensor.constant(b.targetMask(DataType.DOUBLE))).item();
            assertEquals(expected, loss, 1e-12);
            assertEquals(4, SftTrainer.loss(lm, b).validTokens());
        }
    }

    @Test
    void trainingFitsTheResponses() {
        TinyLm lm = new TinyLm(12, 16, 16, 5, DataType.FLOAT);
        SftTrainer t = new SftTrainer(lm, chat, TrainSettings.of(0.05));
        List<int[]> prompts = List.of(new int[] {7, 8}, new int[] {8, 7});
        List<int[]> responses = List.of(new int[] {9, 10}, new int[] {10, 9});
        double first = t.step(prompts, responses).loss().item();
        double last = first;
        for (int i = 0; i < 60; i++) {
            last = t.step(prompts, responses).loss().item();
        }
        assertTrue(Double.isFinite(last) && last < first * 0.5, "SFT loss " + first + " -> " + last);
        assertEquals(61, t.steps());
    }

    @Test
    void nonFiniteGradientStopsByDefaultNamingTheStep() {
        TinyLm lm = new TinyLm(12, 16, 16, 6, DataType.FLOAT);
        SftTrainer t = new SftTrainer(lm, chat, TrainSettings.of(0.05));
        List<int[]> prompts = List.of(new int[] {7, 8});
        List<int[]> responses = List.of(new int[] {9, 10});
        t.step(prompts, responses);
        TinyLm before = lm.copy();
        lm.poisonGradients = true; // finite loss, NaN gradients
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.step(prompts, responses));
        assertTrue(e.getMessage().contains("SFT step 2") && e.getMessage().contains("gradient"), e.getMessage());
        assertTrue(lm.sameWeights(before), "no update may be applied from a non-finite gradient");
        assertEquals(1, t.steps());
    }

    @Test
    void nonFiniteStepCanBeSkippedInstead() {
        TinyLm lm = new TinyLm(12, 16, 16, 6, DataType.FLOAT);
        SftTrainer t = new SftTrainer(lm, chat, TrainSettings.of(0.05).withOnNonFinite(OnNonFinite.SKIP_STEP));
        List<int[]> prompts = List.of(new int[] {7, 8});
        List<int[]> responses = List.of(new int[] {9, 10});
        TinyLm before = lm.copy();
        lm.poisonGradients = true;
        assertTrue(Double.isFinite(t.step(prompts, responses).loss().item()));
        assertTrue(lm.sameWeights(before), "a skipped step changes nothing");
        assertEquals(0, t.steps());
        assertEquals(1, t.skippedSteps());
        lm.poisonGradients = false;
        t.step(prompts, responses);
        assertEquals(1, t.steps());
        assertTrue(!lm.sameWeights(before), "the next good step is applied");
    }
}
