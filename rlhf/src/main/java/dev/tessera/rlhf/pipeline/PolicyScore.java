package dev.tessera.rlhf.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * How a policy does on the held-out prompts, by the hidden labeller. The per-prompt scores are
 * kept (in the prompts' order, the same for every policy) so that the table can give standard
 * errors, and standard errors of paired differences between policies.
 *
 * @param score mean labeller score of responses sampled at temperature 1 (the policy itself, the
 *     distribution PPO optimises and the KL is measured on), in [0, 1]
 * @param greedyScore mean labeller score of greedy (arg-max) responses
 * @param correctness mean {@link Labeller#correctness} (digits only, format ignored) of the sampled responses
 * @param greedyCorrectness the same for the greedy responses
 * @param prefixRate fraction of sampled responses that start with "answer:"
 * @param closedRate fraction of sampled responses closed with the end marker
 * @param exactRate fraction of sampled responses with the full score 1
 * @param klToSft mean over the sampled responses of Σ_t (log π − log π_SFT) over response tokens,
 *     nats per response (0 for the SFT policy itself)
 * @param sampledScores per-prompt labeller scores of the sampled responses
 * @param greedyScores per-prompt labeller scores of the greedy responses
 */
public record PolicyScore(double score, double greedyScore, double correctness, double greedyCorrectness, double prefixRate,
        double closedRate, double exactRate, double klToSft, List<Double> sampledScores, List<Double> greedyScores) {

    public PolicyScore {
        if (sampledScores.size() != greedyScores.size() || sampledScores.isEmpty()) {
            throw new IllegalArgumentException("PolicyScore: need as many greedy as sampled per-prompt scores (>= 1) but got "
                    + sampledScores.size() + " and " + greedyScores.size());
        }
        sampledScores = List.copyOf(sampledScores);
        greedyScores = List.copyOf(greedyScores);
    }

    /** A mean and its standard error. */
    public record Estimate(double mean, double stdErr) {}

    /** Standard error of {@link #score()} over the prompts: sd / √n. */
    public double scoreStdErr() {
        return Stats.stdErr(sampledScores);
    }

    /** Standard error of {@link #greedyScore()}. */
    public double greedyStdErr() {
        return Stats.stdErr(greedyScores);
    }

    /**
     * This policy's sampled score minus {@code base}'s, with the standard error of the per-prompt
     * differences (a paired estimate: both answered the same prompts, so prompt difficulty cancels).
     */
    public Estimate sampledGainOver(PolicyScore base) {
        return Stats.pairedDifference(sampledScores, base.sampledScores);
    }

    /** The same for the greedy responses. */
    public Estimate greedyGainOver(PolicyScore base) {
        return Stats.pairedDifference(greedyScores, base.greedyScores);
    }

    /** Means and standard errors over per-prompt values. */
    static final class Stats {
        private Stats() {}

        static double stdErr(List<Double> xs) {
            int n = xs.size();
            if (n < 2) {
                return Double.NaN;
            }
            double mean = 0;
            for (double x : xs) {
                mean += x / n;
            }
            double ss = 0;
            for (double x : xs) {
                ss += (x - mean) * (x - mean);
            }
            return Math.sqrt(ss / (n - 1) / n);
        }

        static Estimate pairedDifference(List<Double> a, List<Double> b) {
            if (a.size() != b.size()) {
                throw new IllegalArgumentException("PolicyScore: paired scores need the same prompts, but there are " + a.size()
                        + " and " + b.size());
            }
            int n = a.size();
            List<Double> d = new ArrayList<>(n);
            double mean = 0;
            for (int i = 0; i < n; i++) {
                d.add(a.get(i) - b.get(i));
                mean += (a.get(i) - b.get(i)) / n;
            }
            return new Estimate(mean, stdErr(d));
        }
    }
}
