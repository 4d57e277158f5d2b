package dev.tessera.rlhf.pipeline;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a pipeline run produced.
 *
 * @param table the headline figures (deterministic for a seed)
 * @param charts the training curves (the command line's report draws them)
 * @param samples greedy answers before (SFT) and after PPO and DPO on held-out prompts
 * @param stageSeconds wall time of each stage
 * @param json the table as JSON
 * @param csv the table as CSV
 */
public record RecipeResult(RecipeTable table, List<Chart> charts, List<Sample> samples, Map<Stage, Double> stageSeconds,
        Path json, Path csv) {
    public RecipeResult {
        charts = List.copyOf(charts);
        samples = List.copyOf(samples);
        stageSeconds = Map.copyOf(stageSeconds);
    }

    /** Sum of the stages' wall times. */
    public double totalSeconds() {
        return stageSeconds.values().stream().mapToDouble(Double::doubleValue).sum();
    }
}
