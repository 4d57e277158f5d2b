package dev.tessera.rlhf.math;

import static dev.tessera.rlhf.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.Golden;
import dev.tessera.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LogProbsTest {

    @Test
    void matchesPyTorch() {
        Tensor lp = LogProbs.ofTokens(Golden.constant("logits"), Golden.ids("tokens"));
        assertClose("logprobs", lp.data(), 1e-12);
    }

    @Test
    void handComputed() {
        Tensor logits = Tensor.of(new double[] {0, Math.log(3)}, 1, 2);
        double v = LogProbs.ofTokens(logits, Nd4j.createFromArray(new int[] {1})).item();
        assertEquals(Math.log(0.75), v, 1e-15);
    }

    @Test
    void stableForHugeLogits() {
        Tensor logits = Tensor.of(new double[] {1e8, 0, Double.NEGATIVE_INFINITY, 1e4, -1e4, 0}, 2, 3);
        INDArray lp = LogProbs.ofTokens(logits, Nd4j.createFromArray(new int[] {1, 0})).data();
        assertEquals(-1e8, lp.getDouble(0), 0);
        assertEquals(0, lp.getDouble(1), 0);
    }

    @Test
    void sequenceAlignmentScoresTheNextToken() {
        Rng rng = new Rng(3);
        Tensor logits = Tensor.constant(rng.normal(DataType.DOUBLE, 0, 1, 2, 4, 5));
        INDArray ids = Nd4j.createFromArray(new int[][] {{0, 1, 2, 3}, {4, 3, 2, 1}});
        INDArray seq = LogProbs.ofSequence(logits, ids).data(); // (2, 3)
        assertEquals(2, seq.size(0));
        assertEquals(3, seq.size(1));
        // position t of the result: the logits at t scoring the token at t + 1
        INDArray row = logits.data().get(org.nd4j.linalg.indexing.NDArrayIndex.point(1),
                org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.all());
        double lse = Math.log(org.nd4j.linalg.ops.transforms.Transforms.exp(row, true).sumNumber().doubleValue());
        assertEquals(row.getDouble(3) - lse, seq.getDouble(1, 0), 1e-12);
    }

    @Test
    void gradients() {
        Rng rng = new Rng(5);
        INDArray tokens = Nd4j.createFromArray(new int[][] {{1, 0, 4}, {2, 2, 3}});
        Tensor logits = GradCheck.randomVariable(rng, 2, 3, 5);
        GradCheck.check("logProbs", GradCheck.LOSS_TOLERANCE, in -> LogProbs.ofTokens(in[0], tokens), logits);
        Tensor one = GradCheck.randomVariable(rng, 1, 3, 5);
        GradCheck.check("logProbsB1", GradCheck.LOSS_TOLERANCE,
                in -> LogProbs.ofTokens(in[0], tokens.getRow(0).reshape(1, 3).dup()), one);
    }

    @Test
    void tokensOfWrongShapeOrRangeAreRejected() {
        Tensor logits = Tensor.zeros(DataType.DOUBLE, 2, 3, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LogProbs.ofTokens(logits, Nd4j.createFromArray(new int[] {1, 2})));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LogProbs.ofTokens(logits, Nd4j.createFromArray(new int[][] {{1, 2, 5}, {0, 0, 0}})));
        assertTrue(e.getMessage().contains("[0, 5)"), e.getMessage());
    }
}
