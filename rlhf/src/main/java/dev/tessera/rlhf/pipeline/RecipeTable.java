package dev.tessera.rlhf.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The recipe's headline figures. A run's table depends only on its {@link RecipeConfig}: no
 * timings (those are in {@link RecipeResult}), so two runs with one seed give equal tables.
 *
 * @param seed the run's seed
 * @param modelSize the model preset
 * @param parameters parameters of the GPT
 * @param vocabSize the trained tokenizer's vocabulary, special tokens included
 * @param pretrainTokens tokens in the pretraining corpus
 * @param pretrainLoss held-out next-token loss after pretraining, nats per token
 * @param pretrainPerplexity exp(pretrainLoss)
 * @param sftLoss SFT loss on the last step (response tokens only)
 * @param rankedPrompts prompts whose sampled responses the labeller ranked (training + held-out)
 * @param rewardTrainAccuracy pairwise accuracy of the reward model on its training rankings
 * @param rewardHeldOutAccuracy pairwise accuracy on the held-out rankings
 * @param rewardHeldOutPairs number of held-out pairs
 * @param rewardDigitsAccuracy pairwise accuracy on the held-out pairs whose two answers have the
 *     same format (prefix and closing alike), so that only their digits tell them apart: the part
 *     of the reward model's job that needs the task understood, not the format spotted
 * @param rewardDigitsPairs number of those pairs
 * @param sft the SFT policy on the held-out prompts
 * @param ppo the PPO policy
 * @param dpo the DPO policy
 * @param grpo the GRPO policy
 * @param klTarget the configured KL target of PPO's controller
 * @param finalBeta β after the last PPO iteration
 *
 * <p>Scores are shown as mean ± standard error over the held-out prompts; gains over SFT as the
 * mean per-prompt difference ± 1.96 standard errors of those differences (95%, paired).
 */
public record RecipeTable(long seed, String modelSize, long parameters, int vocabSize, long pretrainTokens, double pretrainLoss,
        double pretrainPerplexity, double sftLoss, int rankedPrompts, double rewardTrainAccuracy, double rewardHeldOutAccuracy,
        long rewardHeldOutPairs, double rewardDigitsAccuracy, long rewardDigitsPairs, PolicyScore sft, PolicyScore ppo, PolicyScore dpo, PolicyScore grpo,
        double klTarget, double finalBeta) {

    /** The headline rows as (metric, value) pairs, values formatted. */
    public List<List<String>> summaryRows() {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("seed", Long.toString(seed)));
        rows.add(List.of("model", modelSize + ", " + String.format(Locale.ROOT, "%,d", parameters) + " parameters, vocabulary "
                + vocabSize));
        rows.add(List.of("pretraining corpus", String.format(Locale.ROOT, "%,d tokens", pretrainTokens)));
        rows.add(List.of("pretraining held-out loss / perplexity", f4(pretrainLoss) + " / " + f2(pretrainPerplexity)));
        rows.add(List.of("SFT final loss", f4(sftLoss)));
        rows.add(List.of("SFT labeller score (held-out), sampled / greedy", pm(sft.score(), sft.scoreStdErr()) + " / "
                + pm(sft.greedyScore(), sft.greedyStdErr())));
        rows.add(List.of("reward model pairwise accuracy, train / held-out", pct(rewardTrainAccuracy) + " / "
                + pct(rewardHeldOutAccuracy) + " (" + rewardHeldOutPairs + " held-out pairs)"));
        rows.add(List.of("reward model held-out accuracy, digits-only pairs", rewardDigitsPairs == 0 ? "no such pairs"
                : pct(rewardDigitsAccuracy) + " (" + rewardDigitsPairs + " pairs)"));
        rows.add(List.of("PPO labeller score (held-out), sampled", gain(ppo, sft, false)));
        rows.add(List.of("PPO labeller score (held-out), greedy", gain(ppo, sft, true)));
        rows.add(List.of("PPO correct digits, sampled / greedy", pct(ppo.correctness()) + " / " + pct(ppo.greedyCorrectness())
                + " (SFT " + pct(sft.correctness()) + " / " + pct(sft.greedyCorrectness()) + ")"));
        rows.add(List.of("PPO KL to SFT (target)", f4(ppo.klToSft()) + " nats (" + f2(klTarget) + "), final beta "
                + f4(finalBeta)));
        rows.add(List.of("DPO labeller score (held-out), sampled", gain(dpo, sft, false)));
        rows.add(List.of("DPO labeller score (held-out), greedy", gain(dpo, sft, true)));
        rows.add(List.of("DPO correct digits, sampled / greedy", pct(dpo.correctness()) + " / " + pct(dpo.greedyCorrectness())));
        rows.add(List.of("DPO KL to SFT", f4(dpo.klToSft()) + " nats"));
        rows.add(List.of("GRPO labeller score (held-out), sampled", gain(grpo, sft, false)));
        rows.add(List.of("GRPO labeller score (held-out), greedy", gain(grpo, sft, true)));
        rows.add(List.of("GRPO correct digits, sampled / greedy", pct(grpo.correctness()) + " / "
                + pct(grpo.greedyCorrectness())));
        rows.add(List.of("GRPO KL to SFT", f4(grpo.klToSft()) + " nats"));
        return rows;
    }

    /** Header of {@link #policyRows()}. */
    public static List<String> policyHeader() {
        return List.of("policy", "sampled score", "greedy score", "correct digits", "greedy correct", "has prefix", "closed",
                "exact", "KL to SFT");
    }

    /** One row per policy (SFT, PPO, DPO, GRPO) on the held-out prompts. */
    public List<List<String>> policyRows() {
        List<List<String>> rows = new ArrayList<>();
        rows.add(policyRow("SFT", sft));
        rows.add(policyRow("PPO", ppo));
        rows.add(policyRow("DPO", dpo));
        rows.add(policyRow("GRPO", grpo));
        return rows;
    }

    private static List<String> policyRow(String name, PolicyScore s) {
        return List.of(name, pm(s.score(), s.scoreStdErr()), pm(s.greedyScore(), s.greedyStdErr()), pct(s.correctness()),
                pct(s.greedyCorrectness()), pct(s.prefixRate()), pct(s.closedRate()), pct(s.exactRate()), f4(s.klToSft()));
    }

    /** The figures as flat name → number pairs (for JSON and CSV), in a fixed order. */
    public Map<String, Number> flat() {
        Map<String, Number> m = new LinkedHashMap<>();
        m.put("seed", seed);
        m.put("parameters", parameters);
        m.put("vocab_size", vocabSize);
        m.put("pretrain_tokens", pretrainTokens);
        m.put("pretrain_loss", pretrainLoss);
        m.put("pretrain_perplexity", pretrainPerplexity);
        m.put("sft_loss", sftLoss);
        m.put("ranked_prompts", rankedPrompts);
        m.put("rm_train_accuracy", rewardTrainAccuracy);
        m.put("rm_heldout_accuracy", rewardHeldOutAccuracy);
        m.put("rm_heldout_pairs", rewardHeldOutPairs);
        m.put("rm_heldout_digits_accuracy", rewardDigitsAccuracy);
        m.put("rm_heldout_digits_pairs", rewardDigitsPairs);
        put(m, "sft", sft);
        put(m, "ppo", ppo);
        put(m, "dpo", dpo);
        put(m, "grpo", grpo);
        putGain(m, "ppo", ppo);
        putGain(m, "dpo", dpo);
        putGain(m, "grpo", grpo);
        m.put("kl_target", klTarget);
        m.put("ppo_final_beta", finalBeta);
        return m;
    }

    private static void put(Map<String, Number> m, String p, PolicyScore s) {
        m.put(p + "_score", s.score());
        m.put(p + "_score_se", s.scoreStdErr());
        m.put(p + "_greedy_score", s.greedyScore());
        m.put(p + "_greedy_score_se", s.greedyStdErr());
        m.put(p + "_correctness", s.correctness());
        m.put(p + "_greedy_correctness", s.greedyCorrectness());
        m.put(p + "_prefix_rate", s.prefixRate());
        m.put(p + "_closed_rate", s.closedRate());
        m.put(p + "_exact_rate", s.exactRate());
        m.put(p + "_kl_to_sft", s.klToSft());
    }

    private void putGain(Map<String, Number> m, String p, PolicyScore s) {
        PolicyScore.Estimate g = s.sampledGainOver(sft);
        PolicyScore.Estimate gg = s.greedyGainOver(sft);
        m.put(p + "_gain", g.mean());
        m.put(p + "_gain_se", g.stdErr());
        m.put(p + "_greedy_gain", gg.mean());
        m.put(p + "_greedy_gain_se", gg.stdErr());
    }

    /**
     * "0.6420 (SFT 0.5060, +0.1360 ± 0.0310)": the score, and the paired gain over SFT with a 95%
     * interval half-width (1.96 standard errors of the per-prompt differences).
     */
    private static String gain(PolicyScore s, PolicyScore base, boolean greedy) {
        PolicyScore.Estimate g = greedy ? s.greedyGainOver(base) : s.sampledGainOver(base);
        return f4(greedy ? s.greedyScore() : s.score()) + " (SFT " + f4(greedy ? base.greedyScore() : base.score()) + ", "
                + signed(g.mean()) + " ± " + f4(1.96 * g.stdErr()) + ")";
    }

    private static String pm(double mean, double stdErr) {
        return f4(mean) + " ± " + f4(stdErr);
    }

    /** {@code metric,value} lines with a header; doubles printed exactly (shortest round-trip form). */
    public String toCsv() {
        StringBuilder sb = new StringBuilder("metric,value\n");
        sb.append("model_size,").append(modelSize).append('\n');
        flat().forEach((k, v) -> sb.append(k).append(',').append(v).append('\n'));
        return sb.toString();
    }

    /** A JSON object of {@link #flat()} plus the model size. */
    public String toJson() {
        StringBuilder sb = new StringBuilder("{\n  \"model_size\": \"").append(modelSize).append('"');
        flat().forEach((k, v) -> sb.append(",\n  \"").append(k).append("\": ").append(json(v)));
        return sb.append("\n}\n").toString();
    }

    private static String json(Number v) {
        return v instanceof Double d && !Double.isFinite(d) ? "null" : v.toString();
    }

    private static String f4(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static String signed(double v) {
        return String.format(Locale.ROOT, "%+.4f", v);
    }
}
