package dev.tessera.rlhf.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskGeneratorTest {
    private static final TaskGenerator TASK = new TaskGenerator(2, 4, 0.5, 0.3);

    @Test
    void demonstrationsAreImperfectAtTheConfiguredRates() {
        Rng rng = new Rng(1);
        int n = 4000, noPrefix = 0, wrong = 0;
        for (int i = 0; i < n; i++) {
            Instruction ins = new Instruction(Instruction.Op.SORT, new int[] {9, 5, 1});
            String d = TASK.demonstration(ins, rng);
            noPrefix += d.startsWith(Labeller.PREFIX) ? 0 : 1;
            wrong += d.endsWith("1 5 9") ? 0 : 1; // a lazy demonstration copies "9 5 1"
        }
        assertEquals(0.5, (double) noPrefix / n, 0.03);
        assertEquals(0.3, (double) wrong / n, 0.03);
    }

    @Test
    void distinctInstructionsAvoidTheExcludedOnes() {
        Rng rng = new Rng(2);
        Set<Instruction> used = new HashSet<>();
        List<Instruction> a = TASK.distinct(rng, 300, used);
        List<Instruction> b = TASK.distinct(rng, 300, used);
        assertEquals(300, new HashSet<>(a).size());
        Set<Instruction> both = new HashSet<>(a);
        both.retainAll(b);
        assertTrue(both.isEmpty(), "overlap " + both);
        assertEquals(600, used.size());
        for (Instruction i : a) {
            assertTrue(i.digits().length >= 2 && i.digits().length <= 4, i.text());
        }
    }

    @Test
    void tooManyDistinctInstructionsIsAnError() {
        TaskGenerator small = new TaskGenerator(1, 1, 0.5, 0.3); // 30 instructions
        assertEquals(30, small.distinctInstructions());
        assertThrows(IllegalArgumentException.class, () -> small.distinct(new Rng(3), 20));
        Set<Instruction> used = new HashSet<>(small.distinct(new Rng(3), 15));
        used.addAll(small.distinct(new Rng(4), 15, used));
        assertThrows(IllegalStateException.class, () -> small.distinct(new Rng(5), 1, used));
    }

    @Test
    void pretrainingDocumentStatesTheResult() {
        assertEquals("reverse 1 2 3 = 3 2 1",
                TASK.pretrainingDocument(new Instruction(Instruction.Op.REVERSE, new int[] {1, 2, 3})));
    }

    @Test
    void invalidSettings() {
        assertThrows(IllegalArgumentException.class, () -> new TaskGenerator(0, 3, 0.5, 0.3));
        assertThrows(IllegalArgumentException.class, () -> new TaskGenerator(3, 2, 0.5, 0.3));
        assertThrows(IllegalArgumentException.class, () -> new TaskGenerator(2, 9, 0.5, 0.3));
        assertThrows(IllegalArgumentException.class, () -> new TaskGenerator(2, 3, 1.5, 0.3));
        assertThrows(IllegalArgumentException.class, () -> new TaskGenerator(2, 3, 0.5, Double.NaN));
        assertFalse(TASK.distinctInstructions() < 33_000);
    }
}
