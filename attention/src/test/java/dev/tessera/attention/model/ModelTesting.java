package dev.tessera.attention.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.attention.KvCache;
import dev.tessera.core.GradMode;
import dev.tessera.core.Indexing;
import dev.tessera.core.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Shared checks for the model assemblies. */
final class ModelTesting {
    private ModelTesting() {}

    static INDArray ids(int[][] rows) {
        return Nd4j.createFromArray(rows).castTo(DataType.INT);
    }

    /** Mean next-token cross-entropy of logits (B, T, V) against ids (B, T), as the golden generator computes it. */
    static Tensor nextTokenLoss(Tensor logits, INDArray ids) {
        long b = logits.size(0);
        long t = logits.size(1);
        long v = logits.size(2);
        Tensor lp = logits.slice(1, 0, t - 1).logSoftmax(2); // (B, T-1, V)
        INDArray targets = ids.get(NDArrayIndex.all(), NDArrayIndex.interval(1, t)).dup('c').castTo(DataType.LONG); // (B, T-1)
        return Indexing.gatherLast(lp, targets).mean().neg();
    }

    static void assertClose(String what, INDArray expected, INDArray actual, double tol) {
        assertTrue(Arrays.equals(expected.shape(), actual.shape()),
                what + ": shape " + Arrays.toString(actual.shape()) + " vs expected " + Arrays.toString(expected.shape()));
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= tol, what + ": max abs difference " + diff + " > " + tol);
    }

    /**
     * Batched generation of prompts of different lengths with a KV cache, padded on the left or the
     * right, reproduces at every step the logits of recomputing each sequence alone without a cache.
     */
    static void checkCacheMatchesRecomputation(DecoderModel model, int[][] prompts, int steps, boolean leftPad,
            int vocab, double tol) {
        model.eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            int b = prompts.length;
            int tp = Arrays.stream(prompts).mapToInt(p -> p.length).max().orElseThrow();
            int[][] padded = new int[b][tp];
            float[][] mask = new float[b][tp];
            for (int i = 0; i < b; i++) {
                int off = leftPad ? tp - prompts[i].length : 0;
                for (int j = 0; j < prompts[i].length; j++) {
                    padded[i][off + j] = prompts[i][j];
                    mask[i][off + j] = 1;
                }
            }
            KvCache cache = model.newCache(b, tp + steps);
            Tensor logits = model.forward(ids(padded), Nd4j.createFromArray(mask), cache); // (B, Tp, V)
            int[][] seqs = prompts.clone();
            for (int step = 0; step <= steps; step++) {
                int[] next = new int[b];
                for (int i = 0; i < b; i++) {
                    int at = step == 0 ? (leftPad ? tp - 1 : prompts[i].length - 1) : 0;
                    INDArray got = logits.data().get(NDArrayIndex.point(i), NDArrayIndex.point(at), NDArrayIndex.all());
                    Tensor full = model.forward(ids(new int[][] {seqs[i]})); // (1, T_i, V)
                    INDArray want = full.data().get(NDArrayIndex.point(0), NDArrayIndex.point(seqs[i].length - 1),
                            NDArrayIndex.all());
                    assertClose("step " + step + " sequence " + i + (leftPad ? " (left-padded)" : " (right-padded)"),
                            want, got, tol);
                    next[i] = (int) ((want.argMax().getLong(0) + 3L * step + i) % vocab); // varied, deterministic
                    seqs[i] = Arrays.copyOf(seqs[i], seqs[i].length + 1);
                    seqs[i][seqs[i].length - 1] = next[i];
                }
                if (step < steps) {
                    int[][] col = new int[b][1];
                    for (int i = 0; i < b; i++) {
                        col[i][0] = next[i];
                    }
                    logits = model.forward(ids(col), null, cache); // (B, 1, V)
                }
            }
        }
    }

    /** A padded batch gives every sequence the hidden states it gets alone. */
    static void checkPaddingInvariance(DecoderModel model, int[][] seqs, boolean leftPad, double tol) {
        model.eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            int b = seqs.length;
            int t = Arrays.stream(seqs).mapToInt(p -> p.length).max().orElseThrow();
            int[][] padded = new int[b][t];
            float[][] mask = new float[b][t];
            for (int i = 0; i < b; i++) {
                int off = leftPad ? t - seqs[i].length : 0;
                for (int j = 0; j < seqs[i].length; j++) {
                    padded[i][off + j] = seqs[i][j];
                    mask[i][off + j] = 1;
                }
            }
            Tensor h = model.hidden(ids(padded), Nd4j.createFromArray(mask)); // (B, T, C)
            assertTrue(Double.isFinite(h.data().sumNumber().doubleValue()), "hidden states must be finite");
            for (int i = 0; i < b; i++) {
                int off = leftPad ? t - seqs[i].length : 0;
                Tensor alone = model.hidden(ids(new int[][] {seqs[i]}), null); // (1, T_i, C)
                INDArray got = h.data().get(NDArrayIndex.point(i), NDArrayIndex.interval(off, off + seqs[i].length),
                        NDArrayIndex.all());
                assertClose("padded sequence " + i, alone.data().get(NDArrayIndex.point(0), NDArrayIndex.all(),
                        NDArrayIndex.all()), got, tol);
            }
        }
    }
}
