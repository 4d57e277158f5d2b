package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void logModePrintsEveryTenthAndTheLastStepWithSmoothedFigures() {
        ProgressBar bar = new ProgressBar(out, false);
        bar.start("sft");
        for (int step = 1; step <= 20; step++) {
            // 1000 tokens in 0.5 s per step: 2,000 tok/s, steady, so the averages equal it
            bar.step(step, 20, "loss 1.5000", 1000, 0.5);
        }
        String[] lines = printed().split("\n");
        assertEquals(10, lines.length, printed());
        assertEquals("sft           [##############..........]   12/20   loss 1.5000     2,000 tok/s  ETA 0:04", lines[5]);
        assertEquals("sft           [########################]   20/20   loss 1.5000     2,000 tok/s  ETA 0:00", lines[9]);
    }

    @Test
    void interactiveModeRedrawsOneLineAndKeepsOtherLinesApart() {
        ProgressBar bar = new ProgressBar(out, true);
        bar.start("");
        bar.step(1, 4, "loss 2.0000", 100, 1.0);
        bar.line("eval @ 1: loss 1.9");
        bar.step(4, 4, "loss 1.0000", 100, 1.0);
        String s = printed();
        assertTrue(s.startsWith("\r[######..................]    1/4    loss 2.0000       100 tok/s  ETA 0:03   \neval @ 1: loss 1.9\n"), s);
        assertTrue(s.endsWith("\r[########################]    4/4    loss 1.0000       100 tok/s  ETA 0:00   \n"), s);
    }

    @Test
    void smoothingWeighsTheNewestStepAtOneFifth() {
        ProgressBar bar = new ProgressBar(out, false);
        bar.start("");
        bar.step(1, 2, "m", 1000, 1.0);   // 1000 tok/s
        bar.step(2, 2, "m", 6000, 1.0);   // 6000 tok/s -> 0.8 * 1000 + 0.2 * 6000 = 2000
        assertTrue(printed().contains("   2,000 tok/s"), printed());
    }

    @Test
    void badArgumentsAreRefusedWithTheirValues() {
        ProgressBar bar = new ProgressBar(out, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bar.step(5, 4, "m", 1, 1));
        assertEquals("step must be in [0, totalSteps]: step 5, totalSteps 4", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ProgressBar(null, false));
        assertThrows(IllegalArgumentException.class, () -> bar.start(null));
    }
}
