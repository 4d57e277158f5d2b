package dev.tessera.training.cli;

import dev.tessera.cli.ProgressBar;
import dev.tessera.training.loop.EvalMetrics;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.TrainingListener;
import dev.tessera.training.loop.TrainingResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Draws a training run on the console with the shared {@link ProgressBar} (step, loss, learning
 * rate, tokens/s, ETA); evaluations, checkpoints and the stop print on lines of their own. Only
 * command-line entry points attach it; the library itself never prints.
 */
public final class ConsoleProgress implements TrainingListener {
    private final ProgressBar bar;
    private boolean started;

    /** Draws on {@code out}, redrawing in place when the JVM has a console. */
    public ConsoleProgress(PrintStream out) {
        this.bar = ProgressBar.forConsole(out);
    }

    @Override
    public void onStep(StepMetrics m) {
        if (!started) {
            bar.start("");
            started = true;
        }
        bar.step(m.step(), m.maxSteps(), String.format(Locale.ROOT, "loss %.4f lr %.2e", m.loss(), m.lr()), m.tokens(),
                m.seconds());
    }

    @Override
    public void onEval(EvalMetrics e) {
        bar.line(String.format(Locale.ROOT, "eval @ %d: loss %.4f (ppl %.2f), accuracy %.4f over %,d tokens", e.step(),
                e.loss(), e.perplexity(), e.accuracy(), e.tokens()));
    }

    @Override
    public void onCheckpoint(long step, Path dir) {
        bar.line("checkpoint @ " + step + ": " + dir);
    }

    @Override
    public void onStop(TrainingResult r) {
        bar.line("stopped (" + r.reason() + "): " + r.message());
    }
}
