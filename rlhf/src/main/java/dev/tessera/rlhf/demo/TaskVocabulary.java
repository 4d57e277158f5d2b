package dev.tessera.rlhf.demo;

import dev.tessera.rlhf.sft.ChatFormat;
import java.util.Arrays;

/**
 * The word-level vocabulary of the synthetic instruction task: four chat markers, three
 * instructions, the answer keyword and the ten digits (18 tokens).
 * <pre>
 *   0 &lt;pad&gt;  1 &lt;user&gt;  2 &lt;assistant&gt;  3 &lt;end&gt;  4 sort  5 reverse  6 copy  7 answer  8..17 digits 0..9
 * </pre>
 */
public final class TaskVocabulary {
    public static final int PAD = 0, USER = 1, ASSISTANT = 2, END = 3;
    public static final int SORT = 4, REVERSE = 5, COPY = 6, ANSWER = 7, DIGIT_0 = 8;
    public static final int SIZE = 18;
    private static final String[] WORDS = {"<pad>", "<user>", "<assistant>", "<end>", "sort", "reverse", "copy", "answer",
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

    private TaskVocabulary() {}

    /** The chat format over this vocabulary. */
    public static ChatFormat chat() {
        return new ChatFormat(USER, ASSISTANT, END, PAD);
    }

    public static int digit(int d) {
        if (d < 0 || d > 9) {
            throw new IllegalArgumentException("digit must be in [0, 9] but was " + d);
        }
        return DIGIT_0 + d;
    }

    public static boolean isDigit(int token) {
        return token >= DIGIT_0 && token < DIGIT_0 + 10;
    }

    /** {@code [4, 11, 9] -> "sort 3 1"}. */
    public static String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(t >= 0 && t < SIZE ? WORDS[t] : "<" + t + "?>");
        }
        return sb.toString();
    }

    /** Inverse of {@link #decode}: {@code "sort 3 1" -> [4, 11, 9]}. */
    public static int[] encode(String text) {
        String[] parts = text.trim().isEmpty() ? new String[0] : text.trim().split("\\s+");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            int id = Arrays.asList(WORDS).indexOf(parts[i]);
            if (id < 0) {
                throw new IllegalArgumentException("encode: unknown word '" + parts[i] + "' at position " + i);
            }
            out[i] = id;
        }
        return out;
    }
}
