package dev.tessera.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The fused attention's reused score buffers: reuse, release, and results unchanged by reuse. */
class ScoreBuffersTest {

    private static long address(INDArray x) {
        return x.data().addressPointer().address();
    }

    @Test
    void aReleasedBufferIsHandedOutAgainForTheSameLengthOnly() {
        ScoreBuffers.clear();
        ScoreBuffers.Lease a = ScoreBuffers.borrow(DataType.FLOAT, 2, 3, 5);
        assertEquals("[2, 3, 5]", Arrays.toString(a.array().shape()));
        assertEquals('c', a.array().ordering());
        long at = address(a.array());
        ScoreBuffers.release(a);
        assertEquals(30L * Float.BYTES, ScoreBuffers.freeBytes());
        ScoreBuffers.Lease other = ScoreBuffers.borrow(DataType.FLOAT, 4, 4); // another length: fresh memory
        assertNotEquals(at, address(other.array()));
        ScoreBuffers.Lease same = ScoreBuffers.borrow(DataType.FLOAT, 5, 6); // same length, another shape
        assertEquals(at, address(same.array()));
        assertEquals("[5, 6]", Arrays.toString(same.array().shape()));
        assertEquals(0, ScoreBuffers.freeBytes());
        ScoreBuffers.Lease dbl = ScoreBuffers.borrow(DataType.DOUBLE, 30); // same length, another type: fresh
        assertEquals(DataType.DOUBLE, dbl.array().dataType());
        ScoreBuffers.release(same);
        ScoreBuffers.release(other);
        ScoreBuffers.release(dbl);
        ScoreBuffers.release(null); // ignored
        ScoreBuffers.clear();
        assertEquals(0, ScoreBuffers.freeBytes());
    }

    @Test
    void emptyShapesAndBadSizes() {
        ScoreBuffers.Lease e = ScoreBuffers.borrow(DataType.FLOAT, 3, 0, 2);
        assertEquals(0, e.array().length());
        ScoreBuffers.release(e);
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> ScoreBuffers.borrow(DataType.FLOAT, 2, -1));
        assertTrue(x.getMessage().contains("[2, -1]"), x.getMessage());
    }

    @Test
    void noMoreThanTheCapIsKeptFree() {
        ScoreBuffers.clear();
        long big = ScoreBuffers.MAX_FREE_BYTES / Float.BYTES / 2 + 1; // two of these exceed the cap
        ScoreBuffers.Lease a = ScoreBuffers.borrow(DataType.FLOAT, big);
        ScoreBuffers.Lease b = ScoreBuffers.borrow(DataType.FLOAT, big);
        ScoreBuffers.release(a);
        ScoreBuffers.release(b); // over the cap: closed, not kept
        assertEquals(big * Float.BYTES, ScoreBuffers.freeBytes());
        ScoreBuffers.clear();
    }

    private static Tensor[] inputs(long seed, boolean grad) {
        Rng rng = new Rng(seed);
        Tensor[] t = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            INDArray x = rng.normal(DataType.FLOAT, 0, 1, 2, 3, 70, 5); // (B, H, T, D), T past one causal block
            t[i] = grad ? Tensor.variable(x) : Tensor.constant(x);
        }
        return t;
    }

    @Test
    void forwardWithoutAGraphGivesItsBufferBackAndReuseLeavesResultsUnchanged() {
        ScoreBuffers.clear();
        Tensor[] a = inputs(1, false);
        Tensor[] b = inputs(2, false);
        AttentionOptions o = AttentionOptions.causalMask();
        INDArray first = ScaledDotProductAttention.attention(a[0], a[1], a[2], o, AttentionImpl.FUSED).data().dup();
        long kept = ScoreBuffers.freeBytes();
        assertEquals(2L * 3 * 70 * 70 * Float.BYTES, kept, "the (B, H, T, T) probabilities are given back");
        // another input through the same (now dirty) buffer, then the first again: same answers as fresh memory
        INDArray other = ScaledDotProductAttention.attention(b[0], b[1], b[2], o, AttentionImpl.FUSED).data().dup();
        assertEquals(kept, ScoreBuffers.freeBytes(), "reused, not grown");
        INDArray again = ScaledDotProductAttention.attention(a[0], a[1], a[2], o, AttentionImpl.FUSED).data();
        assertEquals(first, again);
        INDArray portable = ScaledDotProductAttention.attention(b[0], b[1], b[2], o, AttentionImpl.PORTABLE).data();
        ScaledDotProductAttentionTest.assertClose("reused buffer vs portable", portable, other, 1e-5);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor[] g = inputs(3, true);
            ScaledDotProductAttention.attention(g[0], g[1], g[2], o, AttentionImpl.FUSED);
        }
        assertEquals(kept, ScoreBuffers.freeBytes(), "no graph under noGrad: buffer back");
    }

    @Test
    void aSecondBackwardOverTheSameGraphRecomputesTheProbabilities() {
        for (AttentionOptions o : new AttentionOptions[] {AttentionOptions.causalMask(),
                AttentionOptions.causalMask().withDropout(0.2, new Rng(9))}) {
            ScoreBuffers.clear();
            Tensor[] t = inputs(4, true);
            INDArray up = new Rng(5).normal(DataType.FLOAT, 0, 1, 2, 3, 70, 5);
            Tensor y = ScaledDotProductAttention.attention(t[0], t[1], t[2], o, AttentionImpl.FUSED);
            long matrix = 2L * 3 * 70 * 70 * Float.BYTES;
            // the probabilities are held until the backward; the dropped copy only during the forward
            assertEquals(o.dropout() > 0 ? matrix : 0, ScoreBuffers.freeBytes(), "held until the backward");
            y.backward(up);
            assertTrue(ScoreBuffers.freeBytes() > 0, "given back after the backward");
            INDArray[] once = {t[0].grad().dup(), t[1].grad().dup(), t[2].grad().dup()};
            // dirty every free buffer, so that a second backward reading a given-back buffer would fail
            ScaledDotProductAttention.attention(t[2], t[0], t[1], AttentionOptions.none(), AttentionImpl.FUSED);
            y.backward(up);
            for (int i = 0; i < 3; i++) {
                ScaledDotProductAttentionTest.assertClose("twice the gradient of input " + i, once[i].mul(2),
                        t[i].grad(), 1e-5);
            }
        }
    }

    @Test
    void probabilitiesGivenToTheCallerAreNotPooled() {
        ScoreBuffers.clear();
        Tensor[] t = inputs(6, true);
        AttentionResult r = ScaledDotProductAttention.attentionWithProbabilities(t[0], t[1], t[2],
                AttentionOptions.causalMask(), AttentionImpl.FUSED);
        INDArray probs = r.probabilities().dup();
        r.output().backward(Nd4j.ones(DataType.FLOAT, r.output().shape()));
        ScaledDotProductAttention.attention(t[1], t[0], t[2], AttentionOptions.none(), AttentionImpl.FUSED);
        assertEquals(probs, r.probabilities(), "the caller's probabilities are never overwritten");
    }
}
