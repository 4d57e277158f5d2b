package dev.tessera.rlhf.demo;

import dev.tessera.core.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Data of the synthetic task: prompts, noisy demonstrations for SFT, ranked candidate sets for
 * the reward model and DPO, and an unlabelled pretraining corpus.
 *
 * <p>The demonstrator is deliberately imperfect, as human demonstrations are: it omits the
 * required "answer" prefix with probability {@code prefixDropRate} and, with probability
 * {@code lazyRate}, copies the operands instead of computing the result. An SFT model imitates
 * these habits; the labeller's rankings, through the reward model, are what can teach them away.
 *
 * @param minDigits fewest operands (≥ 1), typical 2
 * @param maxDigits most operands, typical 4
 * @param prefixDropRate probability a demonstration lacks "answer", typical 0.5
 * @param lazyRate probability a demonstration copies the operands, typical 0.3
 */
public record TaskGenerator(int minDigits, int maxDigits, double prefixDropRate, double lazyRate) {
    private static final int[] OPS = {TaskVocabulary.SORT, TaskVocabulary.REVERSE, TaskVocabulary.COPY};

    public TaskGenerator {
        if (minDigits < 1 || maxDigits < minDigits) {
            throw new IllegalArgumentException("TaskGenerator: need 1 <= minDigits <= maxDigits but got " + minDigits + ", "
                    + maxDigits);
        }
        if (!(prefixDropRate >= 0 && prefixDropRate <= 1) || !(lazyRate >= 0 && lazyRate <= 1)) {
            throw new IllegalArgumentException("TaskGenerator: rates must be in [0, 1] but were prefixDropRate "
                    + prefixDropRate + ", lazyRate " + lazyRate);
        }
    }

    /** 2–4 digits, half the demonstrations without the prefix, 30% lazy. */
    public static TaskGenerator defaults() {
        return new TaskGenerator(2, 4, 0.5, 0.3);
    }

    /** Longest response (with the end marker): "answer", maxDigits digits, end. */
    public int maxResponseTokens() {
        return maxDigits + 2;
    }

    /** Longest formatted prompt: user, op, maxDigits digits, assistant. */
    public int maxPromptTokens() {
        return maxDigits + 3;
    }

    public TaskPrompt randomPrompt(Rng rng) {
        int n = minDigits + rng.nextInt(maxDigits - minDigits + 1);
        int[] d = new int[n];
        for (int i = 0; i < n; i++) {
            d[i] = rng.nextInt(10);
        }
        return new TaskPrompt(OPS[rng.nextInt(OPS.length)], d);
    }

    /** {@code count} distinct prompts, none of which is in {@code exclude}. */
    public List<TaskPrompt> prompts(Rng rng, int count, Set<TaskPrompt> exclude) {
        Set<TaskPrompt> seen = new HashSet<>(exclude);
        List<TaskPrompt> out = new ArrayList<>();
        int attempts = 0;
        while (out.size() < count) {
            if (++attempts > 100 * count + 1000) {
                throw new IllegalStateException("TaskGenerator.prompts: cannot find " + count + " distinct prompts");
            }
            TaskPrompt p = randomPrompt(rng);
            if (seen.add(p)) {
                out.add(p);
            }
        }
        return out;
    }

    /** A noisy demonstration (response tokens without the end marker). */
    public int[] demonstration(TaskPrompt p, Rng rng) {
        boolean prefix = rng.nextDouble() >= prefixDropRate;
        int[] content = rng.nextDouble() < lazyRate ? p.digits() : p.expected();
        return response(prefix, content);
    }

    /** A pretraining document: operands then the correct result, no chat markers: "sort 3 1 2 1 2 3". */
    public int[] pretrainingDocument(TaskPrompt p) {
        int[] prompt = p.tokens();
        int[] e = p.expected();
        int[] out = Arrays.copyOf(prompt, prompt.length + e.length);
        for (int i = 0; i < e.length; i++) {
            out[prompt.length + i] = TaskVocabulary.digit(e[i]);
        }
        return out;
    }

    /**
     * Up to {@code k} candidate responses (as generated: with the end marker where they have one)
     * with pairwise distinct labeller scores, best first; at least 2. Candidates vary the prefix,
     * the end marker and the content (correct, lazy copy, one digit wrong, truncated, random).
     */
    public List<int[]> rankedCandidates(TaskPrompt p, Rng rng, int k) {
        if (k < 2 || k > 9) {
            throw new IllegalArgumentException("rankedCandidates: k must be in [2, 9] but was " + k);
        }
        List<int[]> picked = new ArrayList<>();
        Set<Double> scores = new HashSet<>();
        for (int attempt = 0; attempt < 60 && picked.size() < k; attempt++) {
            int[] c = candidate(p, rng);
            if (scores.add(Labeller.score(p, c))) {
                picked.add(c);
            }
        }
        if (picked.size() < 2) {
            throw new IllegalStateException("rankedCandidates: fewer than 2 distinct scores for " + p);
        }
        picked.sort(Comparator.comparingDouble((int[] c) -> Labeller.score(p, c)).reversed());
        return picked;
    }

    /** One random candidate response. */
    public int[] candidate(TaskPrompt p, Rng rng) {
        boolean prefix = rng.nextDouble() < 0.5;
        boolean end = rng.nextDouble() < 0.75;
        int[] expected = p.expected();
        int[] content = switch (rng.nextInt(5)) {
            case 0 -> expected;
            case 1 -> p.digits();
            case 2 -> {
                int[] c = expected.clone();
                int i = rng.nextInt(c.length);
                c[i] = (c[i] + 1 + rng.nextInt(9)) % 10;
                yield c;
            }
            case 3 -> Arrays.copyOf(expected, Math.max(1, expected.length - 1));
            default -> {
                int[] c = new int[expected.length];
                for (int i = 0; i < c.length; i++) {
                    c[i] = rng.nextInt(10);
                }
                yield c;
            }
        };
        int[] r = response(prefix, content);
        if (!end) {
            return r;
        }
        int[] withEnd = Arrays.copyOf(r, r.length + 1);
        withEnd[r.length] = TaskVocabulary.END;
        return withEnd;
    }

    private static int[] response(boolean prefix, int[] digits) {
        int off = prefix ? 1 : 0;
        int[] out = new int[digits.length + off];
        if (prefix) {
            out[0] = TaskVocabulary.ANSWER;
        }
        for (int i = 0; i < digits.length; i++) {
            out[off + i] = TaskVocabulary.digit(digits[i]);
        }
        return out;
    }
}
