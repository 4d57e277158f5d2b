package dev.tessera.rlhf.pipeline;

import dev.tessera.core.Rng;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Text data of the demo task: instructions, imperfect demonstrations for SFT, and the default
 * pretraining corpus.
 *
 * <p>The demonstrator is deliberately imperfect, as human demonstrators are: it omits the
 * required "answer:" prefix with probability {@code prefixDropRate} and, with probability
 * {@code lazyRate}, copies the operands instead of computing the result. The SFT model imitates
 * these habits; the labeller's rankings, through the reward model, are what can teach them away.
 *
 * <p>The default pretraining corpus states the operations' results in another layout
 * ({@code "sort 3 1 2 = 1 2 3"}), so pretraining teaches the skill and SFT the chat format.
 *
 * @param minDigits fewest operands, ≥ 1 (typical 2)
 * @param maxDigits most operands, ≤ 8 (typical 4)
 * @param prefixDropRate probability a demonstration lacks "answer:" (typical 0.5)
 * @param lazyRate probability a demonstration copies the operands (typical 0.3)
 */
public record TaskGenerator(int minDigits, int maxDigits, double prefixDropRate, double lazyRate) {
    public TaskGenerator {
        if (minDigits < 1 || maxDigits < minDigits || maxDigits > 8) {
            throw new IllegalArgumentException("TaskGenerator: need 1 <= minDigits <= maxDigits <= 8 but got minDigits "
                    + minDigits + ", maxDigits " + maxDigits);
        }
        if (!(prefixDropRate >= 0 && prefixDropRate <= 1) || !(lazyRate >= 0 && lazyRate <= 1)) {
            throw new IllegalArgumentException("TaskGenerator: rates must be in [0, 1] but were prefixDropRate "
                    + prefixDropRate + ", lazyRate " + lazyRate);
        }
    }

    /** How many distinct instructions exist: 3 operations × Σ_n 10^n. */
    public long distinctInstructions() {
        long n = 0;
        for (int d = minDigits; d <= maxDigits; d++) {
            n += Math.round(Math.pow(10, d));
        }
        return 3 * n;
    }

    public Instruction randomInstruction(Rng rng) {
        int n = minDigits + rng.nextInt(maxDigits - minDigits + 1);
        int[] d = new int[n];
        for (int i = 0; i < n; i++) {
            d[i] = rng.nextInt(10);
        }
        Instruction.Op[] ops = Instruction.Op.values();
        return new Instruction(ops[rng.nextInt(ops.length)], d);
    }

    /** {@code count} distinct instructions none of which is in {@code exclude}; they are added to it. */
    public List<Instruction> distinct(Rng rng, int count, Set<Instruction> exclude) {
        if (count > distinctInstructions() / 2) {
            throw new IllegalArgumentException("TaskGenerator: asked for " + count + " distinct instructions but only "
                    + distinctInstructions() + " exist; raise maxDigits or lower the counts");
        }
        List<Instruction> out = new ArrayList<>(count);
        long attempts = 0;
        while (out.size() < count) {
            if (++attempts > 100L * count + 1000) {
                throw new IllegalStateException("TaskGenerator: could not find " + count + " instructions outside the "
                        + exclude.size() + " already used; raise maxDigits or lower the counts");
            }
            Instruction i = randomInstruction(rng);
            if (exclude.add(i)) {
                out.add(i);
            }
        }
        return out;
    }

    /** {@code count} distinct instructions. */
    public List<Instruction> distinct(Rng rng, int count) {
        return distinct(rng, count, new HashSet<>());
    }

    /** A noisy demonstration (response text without the end marker): "answer: 1 2 3", "1 2 3", "3 1 2", … */
    public String demonstration(Instruction instruction, Rng rng) {
        boolean prefix = rng.nextDouble() >= prefixDropRate;
        int[] content = rng.nextDouble() < lazyRate ? instruction.digits() : instruction.expected();
        String digits = Instruction.join(content);
        return prefix ? Labeller.PREFIX + " " + digits : digits;
    }

    /** A pretraining document: {@code "sort 3 1 2 = 1 2 3"}. */
    public String pretrainingDocument(Instruction instruction) {
        return instruction.text() + " = " + Instruction.join(instruction.expected());
    }
}
