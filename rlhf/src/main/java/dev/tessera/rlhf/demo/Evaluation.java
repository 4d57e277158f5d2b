package dev.tessera.rlhf.demo;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.math.KlEstimator;
import dev.tessera.rlhf.math.KlPenalty;
import dev.tessera.rlhf.math.LogProbs;
import dev.tessera.rlhf.math.Masked;
import dev.tessera.rlhf.model.CausalLm;
import dev.tessera.rlhf.model.Sampler;
import dev.tessera.rlhf.sft.ChatFormat;
import java.util.ArrayList;
import java.util.List;

/** Held-out measurements of a policy on the synthetic task: labeller score and KL to a reference. */
public final class Evaluation {
    private Evaluation() {}

    /** Formatted prompts of the task prompts. */
    public static List<int[]> formatted(List<TaskPrompt> prompts) {
        ChatFormat chat = TaskVocabulary.chat();
        List<int[]> out = new ArrayList<>();
        for (TaskPrompt p : prompts) {
            out.add(chat.prompt(p.tokens()));
        }
        return out;
    }

    /** Responses of {@code policy}: greedy when temperature is 0. */
    public static List<int[]> answer(CausalLm policy, List<TaskPrompt> prompts, int maxNewTokens, double temperature, Rng rng) {
        policy.module().eval();
        return Sampler.generate(policy, formatted(prompts),
                new Sampler.Settings(maxNewTokens, temperature, TaskVocabulary.END, 64), rng);
    }

    /** Mean labeller score of the responses. */
    public static double meanScore(List<TaskPrompt> prompts, List<int[]> responses) {
        double s = 0;
        for (int i = 0; i < prompts.size(); i++) {
            s += Labeller.score(prompts.get(i), responses.get(i));
        }
        return s / prompts.size();
    }

    /**
     * The labeller's score split into its rules: how often responses carry the "answer" prefix,
     * how often they end, and the mean content score (0–1) (see {@link Labeller}).
     */
    public record Breakdown(double score, double prefixRate, double endRate, double content) {
        @Override
        public String toString() {
            return String.format("%.3f (prefix %.2f, end %.2f, content %.3f)", score, prefixRate, endRate, content);
        }
    }

    /** Mean score and its parts over the responses. */
    public static Breakdown breakdown(List<TaskPrompt> prompts, List<int[]> responses) {
        double prefix = 0, end = 0, content = 0;
        int n = prompts.size();
        for (int i = 0; i < n; i++) {
            int[] r = responses.get(i);
            boolean p = r.length > 0 && r[0] == TaskVocabulary.ANSWER;
            boolean e = TaskVocabulary.chat().ended(r);
            double s = Labeller.score(prompts.get(i), r);
            prefix += p ? 1 : 0;
            end += e ? 1 : 0;
            content += (s - (p ? Labeller.PREFIX_WEIGHT : 0) - (e ? Labeller.END_WEIGHT : 0)) / Labeller.CONTENT_WEIGHT;
        }
        return new Breakdown(meanScore(prompts, responses), prefix / n, end / n, content / n);
    }

    /**
     * KL(π ‖ π_ref) per response, estimated on responses sampled from π: mean over prompts of
     * Σ_t log π(y_t) − log π_ref(y_t) over the response tokens (k1, nats).
     */
    public static double klToReference(CausalLm policy, CausalLm reference, List<TaskPrompt> prompts, int maxNewTokens, Rng rng) {
        List<int[]> formatted = formatted(prompts);
        List<int[]> responses = answer(policy, prompts, maxNewTokens, 1.0, rng);
        int[][] rows = new int[prompts.size()][];
        int[] promptLengths = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int[] p = formatted.get(i);
            int[] r = responses.get(i);
            rows[i] = java.util.Arrays.copyOf(p, p.length + r.length);
            System.arraycopy(r, 0, rows[i], p.length, r.length);
            promptLengths[i] = p.length;
        }
        SequenceBatch batch = SequenceBatch.ofFormatted(rows, promptLengths, TaskVocabulary.PAD);
        reference.module().eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor lp = LogProbs.ofSequence(policy.forward(batch.ids()), batch.ids());
            Tensor ref = LogProbs.ofSequence(reference.forward(batch.ids()), batch.ids());
            Tensor mask = Tensor.constant(batch.targetMask(lp.dtype()));
            return Masked.sum(KlPenalty.perToken(lp, ref, KlEstimator.K1), mask).item() / prompts.size();
        }
    }
}
