package dev.tessera.rlhf.ppo;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.Rng;
import dev.tessera.rlhf.chat.ChatTemplate;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.training.generate.Generator;
import dev.tessera.training.generate.SamplingConfig;
import dev.tessera.training.generate.TokenListener;
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
     * Samples one response per raw prompt (content tokens; the chat template is applied here) from
     * {@code policy} in eval mode (no dropout), in the prompts' order, through the training
     * module's {@link Generator} in left-padded batches of {@code batchSize} prompts of mixed
     * lengths. A prompt listed k times gets k independent samples (GRPO's and RLOO's groups). The
     * sampling seed is drawn from {@code rng}, so a seeded caller gets the same rollouts again.
     *
     * @param temperature softmax temperature, &gt; 0
     * @param maxNewTokens the most tokens a response gets (it stops earlier at {@code chat.end()})
     */
    public static Rollouts sample(CausalLm policy, ChatTemplate chat, List<int[]> rawPrompts, double temperature,
            int maxNewTokens, int batchSize, Rng rng) {
        if (policy == null || chat == null || rawPrompts == null || rng == null) {
            throw new IllegalArgumentException("Rollouts.sample: policy, chat, rawPrompts and rng must not be null");
        }
        if (rawPrompts.isEmpty()) {
            throw new IllegalArgumentException("Rollouts.sample: rawPrompts must not be empty");
        }
        List<int[]> prompts = new ArrayList<>();
        for (int[] p : rawPrompts) {
            prompts.add(chat.prompt(p));
        }
        policy.module().eval();
        SamplingConfig s = new SamplingConfig(temperature, 0, 1, 1, maxNewTokens, new int[] {chat.end()}, rng.nextLong());
        List<int[]> responses = Arrays.asList(Generator.generateInBatches(policy, prompts.toArray(new int[0][]), s,
                batchSize, TokenListener.NONE).tokens());
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
