package dev.tessera.rlhf.pipeline;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.GradMode;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.math.LogProbs;
import dev.tessera.rlhf.math.Masked;
import dev.tessera.rlhf.chat.ChatTemplate;
import dev.tessera.training.generate.Generator;
import dev.tessera.training.generate.SamplingConfig;
import dev.tessera.training.generate.TokenListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores policies on held-out prompts with the {@link Labeller}, and measures their KL to the
 * SFT model on their own samples. Every policy is sampled with a generator seeded the same way,
 * so the comparison between policies does not depend on which policy drew luckier random numbers.
 */
final class PolicyEvaluator {
    private static final int CHUNK = 64;
    private final List<Instruction> prompts;
    private final List<int[]> formatted;
    private final ChatTokenizer tokenizer;
    private final CausalLm sft;
    private final int maxNewTokens;
    private final long seed;

    /**
     * @param sft the frozen SFT model, the reference of the KL
     * @param seed seeds the sampling generator, the same for every policy
     */
    PolicyEvaluator(List<Instruction> prompts, ChatTokenizer tokenizer, CausalLm sft, int maxNewTokens, long seed) {
        this.prompts = List.copyOf(prompts);
        this.tokenizer = tokenizer;
        this.sft = sft;
        this.maxNewTokens = maxNewTokens;
        this.seed = seed;
        this.formatted = new ArrayList<>();
        for (Instruction i : prompts) {
            formatted.add(tokenizer.chat().prompt(tokenizer.encode(i.text())));
        }
    }

    /** Sampled (temperature 1) and greedy responses of {@code policy} scored, and its KL to the SFT model. */
    PolicyScore evaluate(CausalLm policy) {
        policy.module().eval();
        ChatTemplate chat = tokenizer.chat();
        List<int[]> sampled = generate(policy, SamplingConfig.sample(1.0, 1.0, maxNewTokens, seed));
        List<int[]> greedy = greedy(policy);
        double score = 0, greedyScore = 0, correct = 0, greedyCorrect = 0, prefix = 0, closed = 0, exact = 0;
        List<Double> sampledScores = new ArrayList<>();
        List<Double> greedyScores = new ArrayList<>();
        int n = prompts.size();
        for (int i = 0; i < n; i++) {
            int[] g = sampled.get(i);
            String text = tokenizer.responseText(g);
            double s = Labeller.score(prompts.get(i), text, chat.ended(g));
            sampledScores.add(s);
            score += s;
            correct += Labeller.correctness(prompts.get(i), text);
            prefix += text.strip().startsWith(Labeller.PREFIX) ? 1 : 0;
            closed += chat.ended(g) ? 1 : 0;
            exact += s == 1.0 ? 1 : 0;
            String greedyText = tokenizer.responseText(greedy.get(i));
            double gs = Labeller.score(prompts.get(i), greedyText, chat.ended(greedy.get(i)));
            greedyScores.add(gs);
            greedyScore += gs;
            greedyCorrect += Labeller.correctness(prompts.get(i), greedyText);
        }
        double kl = policy == sft ? 0 : klToSft(policy, sampled);
        return new PolicyScore(score / n, greedyScore / n, correct / n, greedyCorrect / n, prefix / n, closed / n, exact / n, kl,
                sampledScores, greedyScores);
    }

    /** Greedy responses, in the prompts' order. */
    List<int[]> greedy(CausalLm policy) {
        policy.module().eval();
        return generate(policy, SamplingConfig.greedy(maxNewTokens));
    }

    /** Responses to every prompt, ending at the chat's end token, in the prompts' order. */
    private List<int[]> generate(CausalLm policy, SamplingConfig sampling) {
        SamplingConfig c = sampling.withStopTokens(tokenizer.chat().end());
        return Arrays.asList(Generator.generateInBatches(policy, formatted.toArray(new int[0][]), c, CHUNK,
                TokenListener.NONE).tokens());
    }

    /** Mean over responses of Σ_t log π(y_t | …) − log π_SFT(y_t | …) on the responses' tokens. */
    private double klToSft(CausalLm policy, List<int[]> responses) {
        double total = 0;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int from = 0; from < responses.size(); from += CHUNK) {
                int to = Math.min(responses.size(), from + CHUNK);
                int[][] rows = new int[to - from][];
                int[] promptLengths = new int[rows.length];
                for (int i = from; i < to; i++) {
                    int[] p = formatted.get(i);
                    int[] r = responses.get(i);
                    rows[i - from] = Arrays.copyOf(p, p.length + r.length);
                    System.arraycopy(r, 0, rows[i - from], p.length, r.length);
                    promptLengths[i - from] = p.length;
                }
                SequenceBatch batch = SequenceBatch.ofFormatted(rows, promptLengths, tokenizer.chat().pad());
                Tensor mask = Tensor.constant(batch.targetMask(policy.dtype())); // (b, T-1)
                Tensor lp = LogProbs.ofSequence(policy.forward(batch.ids()), batch.ids()); // (b, T-1)
                Tensor lq = LogProbs.ofSequence(sft.forward(batch.ids()), batch.ids()); // (b, T-1)
                total += Masked.sum(lp.sub(lq), mask).item();
            }
        }
        return total / responses.size();
    }
}
