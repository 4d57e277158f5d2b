package dev.tessera.rlhf.demo;

import java.util.Arrays;

/**
 * One instruction of the synthetic task: an operation over 2–4 digits.
 * {@code sort 3 1 2 -> 1 2 3}, {@code reverse 3 1 2 -> 2 1 3}, {@code copy 3 1 2 -> 3 1 2}.
 *
 * @param op {@link TaskVocabulary#SORT}, {@link TaskVocabulary#REVERSE} or {@link TaskVocabulary#COPY}
 * @param digits the operands, each 0–9
 */
public record TaskPrompt(int op, int[] digits) {
    public TaskPrompt {
        if (op != TaskVocabulary.SORT && op != TaskVocabulary.REVERSE && op != TaskVocabulary.COPY) {
            throw new IllegalArgumentException("TaskPrompt: op must be sort, reverse or copy but was token " + op);
        }
        if (digits.length < 1) {
            throw new IllegalArgumentException("TaskPrompt: digits must not be empty");
        }
        for (int d : digits) {
            if (d < 0 || d > 9) {
                throw new IllegalArgumentException("TaskPrompt: digits must be in [0, 9] but were " + Arrays.toString(digits));
            }
        }
        digits = digits.clone();
    }

    /** The prompt's tokens: [op, digit tokens…]. */
    public int[] tokens() {
        int[] out = new int[digits.length + 1];
        out[0] = op;
        for (int i = 0; i < digits.length; i++) {
            out[i + 1] = TaskVocabulary.digit(digits[i]);
        }
        return out;
    }

    /** The correct result digits. */
    public int[] expected() {
        int[] out = digits.clone();
        if (op == TaskVocabulary.SORT) {
            Arrays.sort(out);
        } else if (op == TaskVocabulary.REVERSE) {
            for (int i = 0; i < out.length / 2; i++) {
                int tmp = out[i];
                out[i] = out[out.length - 1 - i];
                out[out.length - 1 - i] = tmp;
            }
        }
        return out;
    }

    /** The ideal response tokens (without the end marker): [answer, result digit tokens…]. */
    public int[] idealResponse() {
        int[] e = expected();
        int[] out = new int[e.length + 1];
        out[0] = TaskVocabulary.ANSWER;
        for (int i = 0; i < e.length; i++) {
            out[i + 1] = TaskVocabulary.digit(e[i]);
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaskPrompt p && p.op == op && Arrays.equals(p.digits, digits);
    }

    @Override
    public int hashCode() {
        return 31 * op + Arrays.hashCode(digits);
    }

    @Override
    public String toString() {
        return TaskVocabulary.decode(tokens());
    }
}
