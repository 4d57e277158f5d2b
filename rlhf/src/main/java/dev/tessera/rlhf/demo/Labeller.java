package dev.tessera.rlhf.demo;

/**
 * The hidden "human" labeller of the synthetic task: a score in [0, 1] from rules a reader can
 * check. For a generated response (tokens after the assistant marker, possibly running past the
 * end marker, which are ignored):
 * <pre>
 *   0.25  if it starts with "answer"
 *   0.25  if it is closed by &lt;end&gt;
 *   0.50 · (positions i where content[i] is the i-th expected digit) / max(|expected|, |content|)
 * </pre>
 * where content = the tokens between the optional "answer" and the end marker. Examples for
 * {@code sort 3 1 2}: "answer 1 2 3 &lt;end&gt;" → 1.0; "1 2 3 &lt;end&gt;" → 0.75;
 * "answer 3 1 2 &lt;end&gt;" → 0.5; "answer 1 2 &lt;end&gt;" → 0.5 + 0.5·2/3 = 0.8333.
 */
public final class Labeller {
    public static final double PREFIX_WEIGHT = 0.25, END_WEIGHT = 0.25, CONTENT_WEIGHT = 0.5;

    private Labeller() {}

    /** The score of {@code response} (as generated, end marker and anything after it included) for {@code prompt}. */
    public static double score(TaskPrompt prompt, int[] response) {
        int end = -1;
        for (int i = 0; i < response.length; i++) {
            if (response[i] == TaskVocabulary.END) {
                end = i;
                break;
            }
        }
        int stop = end < 0 ? response.length : end;
        boolean prefix = stop > 0 && response[0] == TaskVocabulary.ANSWER;
        int from = prefix ? 1 : 0;
        int[] expected = prompt.expected();
        int contentLength = stop - from;
        int right = 0;
        for (int i = 0; i < Math.min(contentLength, expected.length); i++) {
            if (response[from + i] == TaskVocabulary.digit(expected[i])) {
                right++;
            }
        }
        double content = (double) right / Math.max(expected.length, contentLength);
        return (prefix ? PREFIX_WEIGHT : 0) + (end >= 0 ? END_WEIGHT : 0) + CONTENT_WEIGHT * content;
    }
}
