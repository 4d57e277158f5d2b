package dev.tessera.rlhf.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.rlhf.RecordWithers;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RecipeConfigTest {
    @Test
    void eachPpoWithSetsOnlyItsField() throws ReflectiveOperationException {
        RecipeConfig.Ppo other = new RecipeConfig.Ppo(3, 128, 16, 3, 1e-3, 3e-3, 0.5, 2.0, 50, 0.2, true);
        RecordWithers.assertEachWithSetsOnlyItsComponent(RecipeConfig.defaults().ppo(), other);
    }

    @Test
    void presetsAreValid() {
        RecipeConfig d = RecipeConfig.defaults();
        assertEquals(ModelSize.SMALL, d.size());
        assertEquals(ModelSize.TINY, RecipeConfig.tiny().size());
    }

    @Test
    void scaleStepsScalesEveryStageAndKeepsAtLeastOne() {
        RecipeConfig d = RecipeConfig.defaults();
        RecipeConfig h = d.scaleSteps(0.5);
        assertEquals(Math.round(d.pretrain().steps() * 0.5), h.pretrain().steps());
        assertEquals(Math.round(d.sft().steps() * 0.5), h.sft().steps());
        assertEquals(Math.round(d.reward().steps() * 0.5), h.reward().steps());
        assertEquals(Math.round(d.ppo().iterations() * 0.5), h.ppo().iterations());
        assertEquals(Math.round(d.dpo().steps() * 0.5), h.dpo().steps());
        assertEquals(Math.round(d.grpo().iterations() * 0.5), h.grpo().iterations());
        RecipeConfig z = d.scaleSteps(1e-9);
        assertEquals(1, z.pretrain().steps());
        assertEquals(1, z.ppo().iterations());
        assertThrows(IllegalArgumentException.class, () -> d.scaleSteps(0));
    }

    @Test
    void validationNamesTheArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RecipeConfig.defaults().ppo().withMinibatchSize(24));
        assertTrue(e.getMessage().contains("ppo.minibatchSize"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RecipeConfig.defaults().ppo().withCriticLearningRate(0));
        assertTrue(e.getMessage().contains("ppo.criticLearningRate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RecipeConfig.Grpo(10, 16, 4, 24, 2, 2e-4, 0.04));
        assertTrue(e.getMessage().contains("grpo.minibatchSize") && e.getMessage().contains("64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RecipeConfig.Grpo(10, 16, 1, 16, 2, 2e-4, 0.04));
        assertTrue(e.getMessage().contains("grpo.groupSize"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RecipeConfig.Reward(10, 10, 0.2, 5, 4, 1e-3, dev.tessera.rlhf.model.RewardModel.Readout.LAST_TOKEN));
        assertTrue(e.getMessage().contains("reward.k"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RecipeConfig.Pretrain(10, 200, 32, 5, 4, 1e-3));
        assertTrue(e.getMessage().contains("pretrain.vocabSize"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RecipeConfig.Sft(10, 5, 4, -1));
        assertTrue(e.getMessage().contains("sft.learningRate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RecipeConfig.Eval(4, 8, 5));
        assertTrue(e.getMessage().contains("eval.samples"), e.getMessage());
    }

    @Test
    void contextMustHoldAConversation() {
        RecipeConfig d = RecipeConfig.defaults();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> d.withPretrain(d.pretrain().withContextLength(8)));
        assertTrue(e.getMessage().contains("contextLength"), e.getMessage());
    }

    @Test
    void withMethodsChangeOneFieldEach() {
        RecipeConfig d = RecipeConfig.defaults();
        RecipeConfig.Ppo p = d.ppo().withCriticLearningRate(1e-3).withKlTarget(2.5);
        assertEquals(1e-3, p.criticLearningRate());
        assertEquals(2.5, p.klTarget());
        assertEquals(d.ppo().withCriticLearningRate(1e-3).withKlTarget(2.5), p);
        assertEquals(d.ppo().learningRate(), p.learningRate());
        assertEquals(d.ppo().iterations(), p.iterations());
        RecipeConfig.Reward r = d.reward().withK(3).withReadout(dev.tessera.rlhf.model.RewardModel.Readout.LAST_TOKEN);
        assertEquals(3, r.k());
        assertEquals(d.reward().steps(), r.steps());
        assertEquals(17, d.withDpo(d.dpo().withSteps(17)).dpo().steps());
        assertEquals(d.dpo().learningRate(), d.withDpo(d.dpo().withSteps(17)).dpo().learningRate());
    }

    @Test
    void missingPretrainingTextIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RecipeConfig.defaults().withPretrainText(Path.of("/no/such/file.txt")));
        assertTrue(e.getMessage().contains("/no/such/file.txt"), e.getMessage());
    }
}
