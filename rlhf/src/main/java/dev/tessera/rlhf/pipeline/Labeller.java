package dev.tessera.rlhf.pipeline;

/**
 * The hidden "human" labeller of the demo task: a score in [0, 1] from rules a reader can check.
 * For a response text and whether the model closed its turn with the end marker:
 * <pre>
 *   0.25  if the text starts with "answer:"
 *   0.25  if the turn was closed by the end marker
 *   0.50 · (positions i where word i of the content is the i-th expected digit) / max(|expected|, |content|)
 * </pre>
 * where the content is the text after the optional "answer:", split at whitespace. Examples for
 * {@code sort 3 1 2}: "answer: 1 2 3" closed → 1.0; "1 2 3" closed → 0.75; "answer: 1 3 2"
 * closed → 0.5 + 0.5·1/3 = 0.6667 (only the first digit is right); "answer: 3 1 2" (the lazy copy) closed → 0.5; "answer: 1 2" closed →
 * 0.5 + 0.5·2/3 = 0.8333; "answer: 1 2 3" not closed → 0.75.
 *
 * <p>Pairs of responses are ranked by this score, which stands in for the human rankings of
 * InstructGPT; the policies are evaluated by it on held-out prompts.
 */
public final class Labeller {
    /** The required start of every answer. */
    public static final String PREFIX = "answer:";
    public static final double PREFIX_WEIGHT = 0.25, END_WEIGHT = 0.25, CONTENT_WEIGHT = 0.5;

    private Labeller() {}

    /**
     * @param instruction the prompt
     * @param response the response text before the end marker
     * @param closed whether the model produced the end marker
     */
    public static double score(Instruction instruction, String response, boolean closed) {
        boolean prefix = response.strip().startsWith(PREFIX);
        return (prefix ? PREFIX_WEIGHT : 0) + (closed ? END_WEIGHT : 0) + CONTENT_WEIGHT * correctness(instruction, response);
    }

    /**
     * The content part alone, in [0, 1]: right digits in the right places over
     * max(|expected|, |content|), whatever the format. For {@code sort 3 1 2}: "answer: 1 2 3" → 1;
     * "1 3 2" → 1/3; "answer: 1 2" → 2/3. It tells whether a policy got more correct, apart from
     * whether it learnt the format.
     */
    public static double correctness(Instruction instruction, String response) {
        String text = response.strip();
        boolean prefix = text.startsWith(PREFIX);
        String content = (prefix ? text.substring(PREFIX.length()) : text).strip();
        String[] words = content.isEmpty() ? new String[0] : content.split("\\s+");
        int[] expected = instruction.expected();
        int right = 0;
        for (int i = 0; i < Math.min(words.length, expected.length); i++) {
            if (words[i].equals(Integer.toString(expected[i]))) {
                right++;
            }
        }
        return (double) right / Math.max(expected.length, words.length);
    }
}
