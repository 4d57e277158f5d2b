package dev.tessera.rlhf.cli;

import dev.tessera.cli.ProgressBar;
import dev.tessera.rlhf.pipeline.RecipeListener;
import dev.tessera.rlhf.pipeline.Stage;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Draws the recipe's stages on the console with the shared {@link ProgressBar}: one bar per
 * stage with the stage's metric, and a summary line when the stage ends. Used only by
 * {@link RecipeCli}; the pipeline itself never prints.
 */
final class ConsoleStageProgress implements RecipeListener {
    private final ProgressBar bar;

    /**
     * @param interactive redraw one line with carriage returns (a terminal); otherwise print a
     *     line every tenth of the stage (a log file, CI)
     */
    ConsoleStageProgress(PrintStream out, boolean interactive) {
        this.bar = new ProgressBar(out, interactive);
    }

    @Override
    public void onStageStart(Stage stage, long totalSteps) {
        bar.start(stage.label());
        if (totalSteps == 0) {
            bar.line(String.format(Locale.ROOT, "%-13s ...", stage.label()));
        }
    }

    @Override
    public void onStep(Stage stage, long step, long totalSteps, String metricName, double metric, long tokens, double seconds) {
        bar.step(step, totalSteps, String.format(Locale.ROOT, "%s %.4f", metricName, metric), tokens, seconds);
    }

    @Override
    public void onStageEnd(Stage stage, String summary, double seconds) {
        bar.line(String.format(Locale.ROOT, "%-13s done in %.1f s: %s", stage.label(), seconds, summary));
    }
}
