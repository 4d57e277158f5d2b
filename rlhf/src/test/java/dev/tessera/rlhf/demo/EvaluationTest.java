package dev.tessera.rlhf.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class EvaluationTest {

    @Test
    void breakdownSplitsTheLabellerScore() {
        TaskPrompt p = new TaskPrompt(TaskVocabulary.SORT, new int[] {3, 1, 2});
        List<TaskPrompt> prompts = List.of(p, p);
        List<int[]> answers = List.of(TaskVocabulary.encode("answer 1 2 3 <end>"), TaskVocabulary.encode("3 1 2"));
        Evaluation.Breakdown b = Evaluation.breakdown(prompts, answers);
        assertEquals((1.0 + 0.0) / 2, b.score(), 1e-15);
        assertEquals(0.5, b.prefixRate(), 0);
        assertEquals(0.5, b.endRate(), 0);
        assertEquals(0.5, b.content(), 1e-15); // 1 and 0 (the copy is wrong for sort)
        assertEquals(b.score(), 0.25 * b.prefixRate() + 0.25 * b.endRate() + 0.5 * b.content(), 1e-15);
    }
}
