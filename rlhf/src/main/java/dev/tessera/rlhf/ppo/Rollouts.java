package dev.tessera.rlhf.ppo;

import dev.tessera.core.Rng;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.model.CausalLm;
import dev.tessera.rlhf.model.Sampler;
import dev.tessera.rlhf.sft.ChatFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sampled conversations of one PPO, GRPO or RLOO iteration.
 *
 * @param prompts formatted prompts (B), ending with the assistant marker
 * @param responses generated responses (B), with the end marker where the model produced one
 * @param batch row i = prompts[i] + responses[i], right-padded; responseMask marks the responses
 */
public record Rollouts(List<int[]> prompts, List<int[]> responses, SequenceBatch batch) {

    /**
     * Samples one response per raw prompt (content tokens; the chat format is applied here) from
     * {@code policy} in eval mode (no dropout), in the prompts' order. A prompt listed k times
     * gets k independent samples (GRPO's and RLOO's groups).
     */
    public static Rollouts sample(CausalLm policy, ChatFormat chat, List<int[]> rawPrompts, Sampler.Settings settings,
            Rng rng) {
        List<int[]> prompts = new ArrayList<>();
        for (int[] p : rawPrompts) {
            prompts.add(chat.prompt(p));
        }
        policy.module().eval();
        List<int[]> responses = Sampler.generate(policy, prompts, settings, rng);
        int[][] rows = new int[prompts.size()][];
        int[] promptLengths = new int[prompts.size()];
        for (int i = 0; i < rows.length; i++) {
            int[] p = prompts.get(i);
            int[] r = responses.get(i);
            rows[i] = Arrays.copyOf(p, p.length + r.length);
            System.arraycopy(r, 0, rows[i], p.length, r.length);
            promptLengths[i] = p.length;
        }
        return new Rollouts(prompts, responses, SequenceBatch.ofFormatted(rows, promptLengths, chat.pad()));
    }
}
