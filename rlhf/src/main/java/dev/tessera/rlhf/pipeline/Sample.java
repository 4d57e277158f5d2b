package dev.tessera.rlhf.pipeline;

/**
 * Greedy answers of the four policies to one held-out prompt, with the labeller's scores.
 *
 * @param prompt the instruction text, e.g. "sort 3 1 2"
 * @param ideal the ideal answer, e.g. "answer: 1 2 3"
 * @param sft the SFT policy's answer (before PPO)
 * @param ppo the PPO policy's answer
 * @param dpo the DPO policy's answer
 * @param grpo the GRPO policy's answer
 */
public record Sample(String prompt, String ideal, Answer sft, Answer ppo, Answer dpo, Answer grpo) {
    /**
     * An answer and its labeller score.
     *
     * @param text the response text before the end marker
     * @param closed whether the model closed its turn with the end marker
     * @param score the labeller's score
     */
    public record Answer(String text, boolean closed, double score) {
        /** The answer as shown: the text, then {@code <|end|>} when the turn was closed. */
        public String shown() {
            return text + (closed ? " " + ChatTokenizer.END : "   (turn not closed)");
        }
    }
}
