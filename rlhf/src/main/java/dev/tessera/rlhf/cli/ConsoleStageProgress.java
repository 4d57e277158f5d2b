package dev.tessera.rlhf.pipeline;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The command line's progress display: one bar per stage, redrawn in place, with the stage's
 * metric, tokens/s and ETA (both smoothed), and a summary line when the stage ends. Used only by
 * {@link RecipeCli}; the pipeline itself never prints.
 */
final class ConsoleStageProgress implements RecipeListener {
    private static final int WIDTH = 24;
    private final PrintStream out;
    private final boolean interactive;
    private double tokensPerSecond;
    private double secondsPerStep;
    private long lastPrinted;

    /**
     * @param interactive redraw one line with carriage returns (a terminal); otherwise print a
     *     line every tenth of the stage (a log file, CI)
     */
    ConsoleStageProgress(PrintStream out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    @Override
    public void onStageStart(Stage stage, long totalSteps) {
        tokensPerSecond = Double.NaN;
        secondsPerStep = Double.NaN;
        lastPrinted = 0;
        if (totalSteps == 0) {
            out.printf(Locale.ROOT, "%-13s ...%n", stage.label());
        }
    }

    @Override
    public void onStep(Stage stage, long step, long totalSteps, String metricName, double metric, long tokens, double seconds) {
        double tps = seconds > 0 ? tokens / seconds : Double.NaN;
        // exponential moving averages, so the figures do not jump from step to step
        tokensPerSecond = Double.isNaN(tokensPerSecond) ? tps : 0.8 * tokensPerSecond + 0.2 * tps;
        secondsPerStep = Double.isNaN(secondsPerStep) ? seconds : 0.8 * secondsPerStep + 0.2 * seconds;
        boolean last = step == totalSteps;
        if (!interactive && !last && step - lastPrinted < Math.max(1, totalSteps / 10)) {
            return;
        }
        lastPrinted = step;
        int filled = (int) Math.round(WIDTH * (double) step / Math.max(1, totalSteps));
        long eta = Math.round(secondsPerStep * (totalSteps - step));
        String line = String.format(Locale.ROOT, "%-13s [%s%s] %4d/%-4d %s %.4f  %,8.0f tok/s  ETA %d:%02d", stage.label(),
                "#".repeat(filled), ".".repeat(WIDTH - filled), step, totalSteps, metricName, metric,
                Double.isNaN(tokensPerSecond) ? 0 : tokensPerSecond, eta / 60, eta % 60);
        if (interactive) {
            out.print("\r" + line + "   ");
            if (last) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    @Override
    public void onStageEnd(Stage stage, String summary, double seconds) {
        out.printf(Locale.ROOT, "%-13s done in %.1f s: %s%n", stage.label(), seconds, summary);
        out.flush();
    }
}
