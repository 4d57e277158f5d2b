package dev.tessera.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The one console progress bar of Tessera's command-line entry points: per phase (a pretraining
 * run, a recipe stage) a bar with the step, the caller's metrics, tokens/s and ETA, both smoothed,
 * redrawn in place on a terminal or printed every tenth of the phase into a log; other lines
 * (evaluations, checkpoints, summaries) go on lines of their own. Command lines attach it to the
 * library's listeners; the library itself never prints.
 *
 * <pre>
 * sft           [############............]   50/100  loss 1.2345  12,345 tok/s  ETA 0:07
 * </pre>
 */
public final class ProgressBar {
    private static final int WIDTH = 24;
    /** Weight of the newest step in the moving averages: the figures follow changes within a few steps
     *  without jumping from step to step. */
    private static final double SMOOTHING = 0.2;

    private final PrintStream out;
    private final boolean interactive;
    private String label = "";
    private double tokensPerSecond;
    private double secondsPerStep;
    private long lastPrinted;
    private boolean midLine;

    /**
     * @param out where the bar is drawn
     * @param interactive redraw one line with carriage returns (a terminal); otherwise print a line
     *     every tenth of the phase and at its last step (a log file, CI)
     */
    public ProgressBar(PrintStream out, boolean interactive) {
        if (out == null) {
            throw new IllegalArgumentException("out must not be null");
        }
        this.out = out;
        this.interactive = interactive;
    }

    /** A bar for the console: interactive when the JVM has one (not when output is redirected). */
    public static ProgressBar forConsole(PrintStream out) {
        return new ProgressBar(out, System.console() != null);
    }

    /**
     * Starts a phase: resets the averages. {@code label} prefixes every bar line (empty for none).
     */
    public void start(String label) {
        if (label == null) {
            throw new IllegalArgumentException("label must not be null (empty for none)");
        }
        endLine();
        this.label = label;
        tokensPerSecond = Double.NaN;
        secondsPerStep = Double.NaN;
        lastPrinted = 0;
    }

    /**
     * Records one finished step and draws the bar.
     *
     * @param step steps done so far in this phase (1-based)
     * @param totalSteps steps in the phase
     * @param metrics the caller's figures, already formatted, e.g. {@code "loss 1.2345 lr 3.00e-03"}
     * @param tokens tokens processed by this step
     * @param seconds wall time of this step
     */
    public void step(long step, long totalSteps, String metrics, long tokens, double seconds) {
        if (step < 0 || totalSteps < 0 || step > totalSteps) {
            throw new IllegalArgumentException("step must be in [0, totalSteps]: step " + step + ", totalSteps " + totalSteps);
        }
        double tps = seconds > 0 ? tokens / seconds : Double.NaN;
        tokensPerSecond = average(tokensPerSecond, tps);
        secondsPerStep = average(secondsPerStep, seconds);
        boolean last = step == totalSteps;
        if (!interactive && !last && step - lastPrinted < Math.max(1, totalSteps / 10)) {
            return;
        }
        lastPrinted = step;
        String line = render(step, totalSteps, metrics);
        if (interactive) {
            out.print("\r" + line + "   ");
            midLine = !last;
            if (last) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Prints a line of its own (an evaluation, a checkpoint, a summary), below the bar. */
    public void line(String text) {
        endLine();
        out.println(text);
        out.flush();
    }

    /** The bar line for this step, without the carriage return. */
    String render(long step, long totalSteps, String metrics) {
        int filled = (int) Math.round(WIDTH * (double) step / Math.max(1, totalSteps));
        long eta = Double.isNaN(secondsPerStep) ? 0 : Math.round(secondsPerStep * (totalSteps - step));
        String prefix = label.isEmpty() ? "" : String.format(Locale.ROOT, "%-13s ", label);
        return String.format(Locale.ROOT, "%s[%s%s] %4d/%-4d %s  %,8.0f tok/s  ETA %d:%02d", prefix, "#".repeat(filled),
                ".".repeat(WIDTH - filled), step, totalSteps, metrics,
                Double.isNaN(tokensPerSecond) ? 0 : tokensPerSecond, eta / 60, eta % 60);
    }

    private static double average(double current, double next) {
        if (Double.isNaN(current)) {
            return next;
        }
        return Double.isNaN(next) ? current : (1 - SMOOTHING) * current + SMOOTHING * next;
    }

    private void endLine() {
        if (midLine) {
            out.println();
            midLine = false;
        }
    }
}
