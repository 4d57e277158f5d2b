package dev.tessera.rlhf.cli;

import dev.tessera.rlhf.pipeline.Chart;
import dev.tessera.rlhf.pipeline.RecipeConfig;
import dev.tessera.rlhf.pipeline.RecipeResult;
import dev.tessera.rlhf.pipeline.RecipeTable;
import dev.tessera.rlhf.pipeline.Sample;
import dev.tessera.rlhf.pipeline.Stage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The pipeline's HTML report: headline table, per-policy table, training curves, sample answers, timings. */
final class RecipeReport {
    private RecipeReport() {}

    static void write(RecipeResult result, RecipeConfig config, Path file) throws IOException {
        RecipeTable t = result.table();
        HtmlReport r = new HtmlReport("Tessera: ChatGPT's recipe end to end");
        r.paragraph("Seed " + config.seed() + ", model " + t.modelSize() + ". A byte-level BPE tokenizer and a small GPT "
                + "were trained from scratch on " + (config.pretrainText() == null ? "a generated corpus"
                : "the text file " + config.pretrainText()) + ", fine-tuned on imperfect demonstrations (SFT), then "
                + "improved with a reward model trained on the labeller's rankings of SFT samples and PPO, and, for "
                + "comparison, with DPO on the same rankings and with GRPO against the same reward model. Scores are the hidden labeller's (0.25 for the \"answer:\" "
                + "prefix, 0.25 for closing the turn, 0.5 for the correct digits), on held-out prompts.");
        r.heading("Headline figures");
        r.table(List.of("metric", "value"), t.summaryRows());
        r.heading("Policies on held-out prompts");
        r.table(RecipeTable.policyHeader(), t.policyRows());
        r.heading("Training curves");
        for (Chart c : result.charts()) {
            r.chart(c.title(), c.xLabel(), c.yLabel(), c.series());
        }
        r.heading("Sample answers (greedy), before (SFT) and after PPO, DPO and GRPO");
        List<List<String>> rows = new ArrayList<>();
        for (Sample s : result.samples()) {
            rows.add(List.of(s.prompt(), s.ideal(), s.sft().shown() + score(s.sft()), s.ppo().shown() + score(s.ppo()),
                    s.dpo().shown() + score(s.dpo()), s.grpo().shown() + score(s.grpo())));
        }
        r.table(List.of("prompt", "ideal", "SFT", "PPO", "DPO", "GRPO"), rows);
        r.heading("Stage timings");
        List<List<String>> timing = new ArrayList<>();
        for (Map.Entry<Stage, Double> e : new TreeMap<>(result.stageSeconds()).entrySet()) {
            timing.add(List.of(e.getKey().label(), String.format(Locale.ROOT, "%.1f s", e.getValue())));
        }
        timing.add(List.of("total", String.format(Locale.ROOT, "%.1f s", result.totalSeconds())));
        r.table(List.of("stage", "wall time"), timing);
        r.write(file);
    }

    private static String score(Sample.Answer a) {
        return String.format(Locale.ROOT, "  [%.2f]", a.score());
    }
}
