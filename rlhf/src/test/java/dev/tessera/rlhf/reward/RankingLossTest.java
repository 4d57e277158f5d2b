package dev.tessera.rlhf.reward;

import static dev.tessera.rlhf.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.Golden;
import dev.tessera.rlhf.math.LogSigmoid;
import dev.tessera.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class RankingLossTest {

    @Test
    void kWiseMatchesPyTorch() {
        Tensor r = Golden.variable("rank.rewards");
        RankingLoss.Result res = RankingLoss.kWise(r, new int[] {3, 2, 4});
        assertEquals(Golden.get("rank.loss").getDouble(0), res.loss().item(), 1e-14);
        assertEquals(3 + 1 + 6, res.pairs());
        res.loss().backward();
        assertClose("rank.grad", r.grad(), 1e-13);
    }

    @Test
    void handComputed() {
        RankingLoss.Result r = RankingLoss.kWise(Tensor.of(new double[] {2, 1, 0}, 3), new int[] {3});
        double sp1 = Math.log1p(Math.exp(-1)), sp2 = Math.log1p(Math.exp(-2));
        assertEquals((2 * sp1 + sp2) / 3, r.loss().item(), 1e-15);
        assertEquals(1, r.accuracy(), 0);
    }

    @Test
    void kWiseEqualsMeanOverItsExplicitPairs() {
        // one prompt, K = 5: the K-wise loss is the plain mean of −log σ over its 10 explicit pairs
        Rng rng = new Rng(17);
        Tensor r = Tensor.constant(rng.normal(DataType.DOUBLE, 0, 1, 5));
        double[] v = r.data().toDoubleVector();
        double[] c = new double[10], rej = new double[10];
        int p = 0;
        for (int i = 0; i < 5; i++) {
            for (int j = i + 1; j < 5; j++) {
                c[p] = v[i];
                rej[p++] = v[j];
            }
        }
        double pairwise = RankingLoss.pairwise(Tensor.of(c, 10), Tensor.of(rej, 10), null).loss().item();
        assertEquals(pairwise, RankingLoss.kWise(r, new int[] {5}).loss().item(), 1e-15);
        // and every prompt weighs the same regardless of K: two prompts average their own losses
        Tensor two = Tensor.constant(Nd4j.concat(0, r.data(), Nd4j.createFromArray(0.3, -0.2)));
        double second = -LogSigmoid.of(Tensor.of(new double[] {0.5}, 1)).item();
        assertEquals((pairwise + second) / 2, RankingLoss.kWise(two, new int[] {5, 2}).loss().item(), 1e-15);
    }

    @Test
    void pairwiseWithMarginMatchesPyTorch() {
        RankingLoss.Result r = RankingLoss.pairwise(Golden.constant("pair.chosen"), Golden.constant("pair.rejected"),
                Golden.get("pair.margin"));
        assertEquals(Golden.get("pair.loss").getDouble(0), r.loss().item(), 1e-14);
    }

    @Test
    void accuracyCountsCorrectlyOrderedPairs() {
        // rewards [0, 1, 2] ranked best first: every pair is inverted; [1, 0, 2]: only (1 > 0) is right
        assertEquals(0, RankingLoss.kWise(Tensor.of(new double[] {0, 1, 2}, 3), new int[] {3}).accuracy(), 0);
        assertEquals(1.0 / 3, RankingLoss.kWise(Tensor.of(new double[] {1, 0, 2}, 3), new int[] {3}).accuracy(), 1e-15);
    }

    @Test
    void gradients() {
        Rng rng = new Rng(23);
        GradCheck.check("kWise", GradCheck.LOSS_TOLERANCE, in -> RankingLoss.kWise(in[0], new int[] {4, 2, 9}).loss(),
                GradCheck.randomVariable(rng, 15));
        GradCheck.check("kWiseOne", GradCheck.LOSS_TOLERANCE, in -> RankingLoss.kWise(in[0], new int[] {2}).loss(),
                GradCheck.randomVariable(rng, 2));
        org.nd4j.linalg.api.ndarray.INDArray margin = rng.uniform(DataType.DOUBLE, 0, 1, 4);
        GradCheck.check("pairwise", GradCheck.LOSS_TOLERANCE, in -> RankingLoss.pairwise(in[0], in[1], margin).loss(),
                GradCheck.randomVariable(rng, 4), GradCheck.randomVariable(rng, 4));
    }

    @Test
    void badGroupsAreRejected() {
        Tensor r = Tensor.of(new double[] {1, 2, 3}, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RankingLoss.kWise(r, new int[] {1, 2}));
        assertTrue(e.getMessage().contains("groupSizes[0]") && e.getMessage().contains("[2, 9]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RankingLoss.kWise(r, new int[] {2}));
        assertTrue(e.getMessage().contains("add up to 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RankingLoss.kWise(Tensor.zeros(DataType.DOUBLE, 10), new int[] {10}));
        assertThrows(IllegalArgumentException.class, () -> RankingLoss.kWise(r, new int[0]));
    }
}
