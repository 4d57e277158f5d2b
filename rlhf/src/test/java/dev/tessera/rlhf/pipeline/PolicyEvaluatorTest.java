package dev.tessera.rlhf.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.attention.model.GptModel;
import dev.tessera.core.Rng;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class PolicyEvaluatorTest {
    private static ChatTokenizer tokenizer() {
        List<String> corpus = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            corpus.add("copy " + (i % 10) + " " + ((3 * i) % 10) + " = answer: " + (i % 10));
        }
        return ChatTokenizer.train(corpus, 300);
    }

    @Test
    void anIdenticalCopyHasZeroKlAndTheSameScores() {
        ChatTokenizer tok = tokenizer();
        CausalLm sft = new GptModel(ModelSize.TINY.gptConfig(tok.vocabSize(), 24), new Rng(3), DataType.FLOAT);
        List<Instruction> prompts = new TaskGenerator(2, 3, 0.5, 0.3).distinct(new Rng(4), 12);
        PolicyEvaluator e = new PolicyEvaluator(prompts, tok, sft, 6, 99);
        PolicyScore a = e.evaluate(sft);
        PolicyScore b = e.evaluate(sft.copy());
        assertEquals(0.0, a.klToSft());
        assertEquals(0.0, b.klToSft(), 1e-5);
        assertEquals(a.score(), b.score());
        assertEquals(a.greedyScore(), b.greedyScore());
    }

    @Test
    void aChangedPolicyHasPositiveKlOnItsOwnSamples() {
        ChatTokenizer tok = tokenizer();
        CausalLm sft = new GptModel(ModelSize.TINY.gptConfig(tok.vocabSize(), 24), new Rng(3), DataType.FLOAT);
        CausalLm other = new GptModel(ModelSize.TINY.gptConfig(tok.vocabSize(), 24), new Rng(5), DataType.FLOAT);
        List<Instruction> prompts = new TaskGenerator(2, 3, 0.5, 0.3).distinct(new Rng(4), 32);
        PolicyScore s = new PolicyEvaluator(prompts, tok, sft, 6, 99).evaluate(other);
        // a Monte-Carlo KL estimate over 32 samples: positive for clearly different models
        assertTrue(s.klToSft() > 0, "KL " + s.klToSft());
        assertTrue(s.score() >= 0 && s.score() <= 1);
    }
}
