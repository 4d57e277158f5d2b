package dev.tessera.training.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.model.BertConfig;
import dev.tessera.attention.model.BertModel;
import dev.tessera.core.Rng;
import dev.tessera.training.data.Batch;
import dev.tessera.training.data.BatchSource;
import dev.tessera.training.data.MaskedLmBatches;
import dev.tessera.training.loop.EvalMetrics;
import dev.tessera.training.loop.Trainer;
import dev.tessera.training.loop.TrainerConfig;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.LrSchedule;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Masked LM end to end on a task that only context can solve: each sequence follows a fixed random
 * cycle over the 23 ordinary tokens (x_{t+1} = next(x_t)) from a random start, so every token is
 * uniform on its own (the best context-free guess is right 1/23 of the time) but determined by
 * either neighbour. BERT's 80/10/10 corruption is applied by {@link MaskedLmBatches}.
 */
class MaskedLmLearnsContextTest {
    private static final int V = 24;
    private static final int MASK = 0;
    private static final int T = 16;
    private static final int B = 16;

    /** Fresh cycle windows (B, T) on every call (targets = inputs; the masking replaces them). */
    private static final class Cycles implements BatchSource {
        private final int[] next;
        private final Rng rng;

        Cycles(int[] next, long seed) {
            this.next = next;
            this.rng = new Rng(seed);
        }

        @Override
        public Batch next() {
            int[] ids = new int[B * T];
            for (int b = 0; b < B; b++) {
                int x = 1 + rng.nextInt(V - 1);
                for (int t = 0; t < T; t++) {
                    ids[b * T + t] = x;
                    x = next[x];
                }
            }
            var x = Nd4j.createFromArray(ids).reshape(B, T); // (B, T)
            return new Batch(x, x, null);
        }

        @Override
        public long[] position() {
            return rng.state();
        }

        @Override
        public void setPosition(long[] position) {
            rng.setState(position);
        }
    }

    private static int[] randomCycle(Rng rng) {
        List<Integer> order = new ArrayList<>();
        for (int i = 1; i < V; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new java.util.Random(rng.nextLong()));
        int[] next = new int[V];
        for (int i = 0; i < order.size(); i++) {
            next[order.get(i)] = order.get((i + 1) % order.size());
        }
        return next;
    }

    @Test
    void preLnRotaryEncoderLearnsTheMaskedTokenFromItsNeighbours() throws IOException {
        int[] next = randomCycle(new Rng(7));
        MaskingConfig masking = MaskingConfig.bert(V, MASK);
        int ignore = CrossEntropyOptions.DEFAULT_IGNORE_INDEX;
        BatchSource train = new MaskedLmBatches(new Cycles(next, 1), masking, ignore, 2);
        Cycles valWindows = new Cycles(next, 99);
        List<Batch> windows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            windows.add(valWindows.next());
        }
        List<Batch> validation = MaskedLmBatches.fixed(windows, masking, ignore, 3);
        BertModel bert = new BertModel(BertConfig.preLnRotary(V, T, 64, 1, 2, 0.0), new Rng(1), DataType.FLOAT);
        long steps = 150;
        Trainer t = new Trainer(TrainerConfig.simple(steps), bert, new AdamW(bert.namedParameters(), AdamWConfig.lm(1e-2)),
                LrSchedule.cosine(1e-2, 1e-3, 10, steps), b -> bert.forward(b.inputs(), null, null), train, validation,
                bert.namedRngs(), null);
        EvalMetrics before = t.evaluate();
        t.run();
        EvalMetrics after = t.evaluate();
        // a context-free model cannot beat ln(23) = 3.14 nats or 1/23 = 4.3% accuracy on these targets; this
        // one reached 77% and 0.72 nats in a trial (neighbours that are masked too cap it below 100%)
        assertTrue(after.accuracy() > 0.5 && after.loss() < 1.5, "masked-token accuracy " + after.accuracy() + ", loss "
                + after.loss() + " (before training: " + before.accuracy() + ", " + before.loss() + ")");
    }
}
