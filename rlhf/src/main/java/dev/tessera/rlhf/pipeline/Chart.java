package dev.tessera.rlhf.pipeline;

import java.util.List;

/**
 * One chart of the report: a title, axis labels and its curves.
 *
 * @param title e.g. "PPO: KL to the SFT model"
 * @param xLabel e.g. "iteration"
 * @param yLabel e.g. "nats per response"
 * @param series one or more curves
 */
public record Chart(String title, String xLabel, String yLabel, List<Series> series) {
    public Chart {
        if (series == null || series.isEmpty()) {
            throw new IllegalArgumentException("Chart '" + title + "': needs at least one series");
        }
        series = List.copyOf(series);
    }
}
