package dev.tessera.rlhf.pipeline;

import java.util.Arrays;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * One instruction of the demo's synthetic task, as text: an operation over a few digits.
 * <pre>
 *   "sort 3 1 2"    → answer "1 2 3"
 *   "reverse 3 1 2" → answer "2 1 3"
 *   "copy 3 1 2"    → answer "3 1 2"
 * </pre>
 * The required response format is {@code "answer: 1 2 3"} followed by the end-of-turn marker
 * (see {@link Labeller}).
 *
 * @param op the operation
 * @param digits the operands, each 0–9, at least one
 */
public record Instruction(Op op, int[] digits) {
    /** The operations of the task. */
    public enum Op {
        SORT, REVERSE, COPY;

        /** The word used in prompts: "sort", "reverse", "copy". */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Instruction {
        if (op == null) {
            throw new IllegalArgumentException("Instruction: op must not be null");
        }
        if (digits == null || digits.length == 0) {
            throw new IllegalArgumentException("Instruction: digits must not be empty");
        }
        for (int d : digits) {
            if (d < 0 || d > 9) {
                throw new IllegalArgumentException("Instruction: digits must be in [0, 9] but were " + Arrays.toString(digits));
            }
        }
        digits = digits.clone();
    }

    /** The prompt text: {@code "sort 3 1 2"}. */
    public String text() {
        return op.word() + " " + join(digits);
    }

    /** The correct result digits: {@code sort 3 1 2 → [1, 2, 3]}. */
    public int[] expected() {
        int[] out = digits.clone();
        switch (op) {
            case SORT -> Arrays.sort(out);
            case REVERSE -> {
                for (int i = 0; i < out.length / 2; i++) {
                    int tmp = out[i];
                    out[i] = out[out.length - 1 - i];
                    out[out.length - 1 - i] = tmp;
                }
            }
            case COPY -> { }
        }
        return out;
    }

    /** The ideal response text, without the end marker: {@code "answer: 1 2 3"}. */
    public String idealResponse() {
        return Labeller.PREFIX + " " + join(expected());
    }

    /** Digits separated by single spaces: {@code [1, 2, 3] → "1 2 3"}. */
    static String join(int[] digits) {
        StringJoiner j = new StringJoiner(" ");
        for (int d : digits) {
            j.add(Integer.toString(d));
        }
        return j.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Instruction i && i.op == op && Arrays.equals(i.digits, digits);
    }

    @Override
    public int hashCode() {
        return 31 * op.hashCode() + Arrays.hashCode(digits);
    }

    @Override
    public String toString() {
        return text();
    }
}
