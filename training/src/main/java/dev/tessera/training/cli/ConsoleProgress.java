package dev.tessera.training.cli;

import dev.tessera.training.loop.EvalMetrics;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.TrainingListener;
import dev.tessera.training.loop.TrainingResult;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * A one-line console progress bar, redrawn each step: bar, step, loss, tokens/s (smoothed),
 * ETA. Evaluations and checkpoints print on their own lines. Only command-line entry points
 * attach it; the library itself never prints.
 */
public final class ConsoleProgress implements TrainingListener {
    private static final int WIDTH = 30;
    private final PrintStream out;
    private double tokensPerSecond = Double.NaN;
    private double secondsPerStep = Double.NaN;
    private boolean midLine;

    public ConsoleProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public void onStep(StepMetrics m) {
        // exponential moving averages so the figures do not jump with each step
        tokensPerSecond = Double.isNaN(tokensPerSecond) ? m.tokensPerSecond() : 0.9 * tokensPerSecond + 0.1 * m.tokensPerSecond();
        secondsPerStep = Double.isNaN(secondsPerStep) ? m.seconds() : 0.9 * secondsPerStep + 0.1 * m.seconds();
        double frac = m.maxSteps() == 0 ? 1 : (double) m.step() / m.maxSteps();
        int filled = (int) Math.round(frac * WIDTH);
        long eta = Math.round(secondsPerStep * (m.maxSteps() - m.step()));
        out.printf("\r[%s%s] %d/%d loss %.4f lr %.2e %,.0f tok/s ETA %d:%02d   ", "#".repeat(filled),
                " ".repeat(WIDTH - filled), m.step(), m.maxSteps(), m.loss(), m.lr(), tokensPerSecond, eta / 60, eta % 60);
        out.flush();
        midLine = true;
    }

    @Override
    public void onEval(EvalMetrics e) {
        newLine();
        out.printf("eval @ %d: loss %.4f (ppl %.2f), accuracy %.4f over %,d tokens%n", e.step(), e.loss(), e.perplexity(),
                e.accuracy(), e.tokens());
    }

    @Override
    public void onCheckpoint(long step, Path dir) {
        newLine();
        out.println("checkpoint @ " + step + ": " + dir);
    }

    @Override
    public void onStop(TrainingResult r) {
        newLine();
        out.println("stopped (" + r.reason() + "): " + r.message());
    }

    private void newLine() {
        if (midLine) {
            out.println();
            midLine = false;
        }
    }
}
