package dev.tessera.rlhf.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Tensor;
import dev.tessera.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class GroupPolicyLossTest {
    private static Tensor t(double[][] v) {
        return Tensor.constant(Nd4j.createFromArray(v));
    }

    @Test
    void oneTokenByHand() {
        // A = 1, ε = 0.2, logp − old = ln 1.5: ρ = 1.5, max(−1.5, −1.2) = −1.2 (clipped);
        // ref − logp = ln 2: k3 = 2 − ln 2 − 1 = 0.3069; β = 0.1 → loss = −1.2 + 0.03069
        double lp = -1.0;
        Tensor logp = t(new double[][] {{lp}});
        Tensor old = t(new double[][] {{lp - Math.log(1.5)}});
        Tensor ref = t(new double[][] {{lp + Math.log(2)}});
        GroupPolicyLoss.Result r = GroupPolicyLoss.compute(logp, old, ref, new double[] {1}, t(new double[][] {{1}}), 0.2, 0.1);
        assertEquals(-1.2 + 0.1 * (1 - Math.log(2)), r.loss().item(), 1e-12);
        assertEquals(1.0, r.clipFraction(), 0);
        assertEquals(1 - Math.log(2), r.meanKl(), 1e-12);
        assertEquals(1.5, r.meanRatio(), 1e-12);
    }

    /** The DeepSeekMath objective written out token by token: mean over each completion's tokens, then over completions. */
    private static double byHand(double[][] lp, double[][] old, double[][] ref, double[] a, double[][] m, double eps,
            double beta) {
        double total = 0;
        for (int i = 0; i < lp.length; i++) {
            double sum = 0, n = 0;
            for (int t = 0; t < lp[i].length; t++) {
                if (m[i][t] == 0) {
                    continue;
                }
                double ratio = Math.exp(lp[i][t] - old[i][t]);
                double clipped = Math.max(1 - eps, Math.min(1 + eps, ratio));
                double surrogate = Math.max(-a[i] * ratio, -a[i] * clipped);
                double k3 = Math.exp(ref[i][t] - lp[i][t]) - (ref[i][t] - lp[i][t]) - 1;
                sum += surrogate + beta * k3;
                n++;
            }
            total += n == 0 ? 0 : sum / n;
        }
        return total / lp.length;
    }

    @Test
    void matchesTheFormulaOnAGroupWithPaddingAndAnEmptyCompletion() {
        double[][] lp = {{-0.5, -1.2, -0.3}, {-2.0, -0.1, -0.7}, {-0.4, -0.9, -1.1}};
        double[][] old = {{-0.6, -1.0, 9.0}, {-1.5, -0.2, -0.7}, {-0.4, -0.9, -1.1}};
        double[][] ref = {{-0.9, -1.1, 9.0}, {-1.9, -0.4, -0.2}, {-0.5, -0.5, -0.5}};
        double[][] m = {{1, 1, 0}, {1, 1, 1}, {0, 0, 0}};
        double[] a = {1.3, -0.8, 0.4};
        for (double beta : new double[] {0, 0.04}) {
            GroupPolicyLoss.Result r = GroupPolicyLoss.compute(t(lp), t(old), t(ref), a, t(m), 0.2, beta);
            assertEquals(byHand(lp, old, ref, a, m, 0.2, beta), r.loss().item(), 1e-12, "beta " + beta);
        }
        // the padded 9.0s never reach the result; a completion with no tokens counts as 0 in the mean over 3
        // completion 0 (A = 1.3): ratios e^0.1 and e^−0.2, both inside [0.8, 1.2]
        double first = (-1.3 * Math.exp(0.1) - 1.3 * Math.exp(-0.2)) / 2;
        // completion 1 (A = −0.8): e^−0.5 < 0.8 is clipped (max picks −A·0.8), e^0.1 and 1 are not
        double second = (Math.max(0.8 * Math.exp(-0.5), 0.8 * 0.8) + 0.8 * Math.exp(0.1) + 0.8) / 3;
        assertEquals((first + second) / 3, GroupPolicyLoss.compute(t(lp), t(old), t(ref), a, t(m), 0.2, 0).loss().item(),
                1e-12);
    }

    @Test
    void atRatioOneTheGradientIsTheAdvantagePerTokenPlusTheKlTerm() {
        // ∂loss/∂logp_{i,t} = (−A_i + β(1 − e^{ref − logp})) / (|o_i| · G) at ρ = 1
        double[][] lp = {{-0.5, -1.2}, {-2.0, -0.1}};
        double[][] ref = {{-0.9, -1.1}, {-1.9, -0.4}};
        double[][] m = {{1, 1}, {1, 0}};
        double[] a = {0.7, -1.1};
        Tensor logp = Tensor.variable(Nd4j.createFromArray(lp));
        GroupPolicyLoss.compute(logp, t(lp), t(ref), a, t(m), 0.2, 0.5).loss().backward();
        double[][] g = logp.grad().toDoubleMatrix();
        assertEquals((-0.7 + 0.5 * (1 - Math.exp(-0.4))) / (2 * 2), g[0][0], 1e-12);
        assertEquals((-0.7 + 0.5 * (1 - Math.exp(0.1))) / (2 * 2), g[0][1], 1e-12);
        assertEquals((1.1 + 0.5 * (1 - Math.exp(0.1))) / (1 * 2), g[1][0], 1e-12);
        assertEquals(0.0, g[1][1], 0);
    }

    @Test
    void float64GradientCheck() {
        double[][] lp = {{-0.5, -1.2, -0.3}, {-2.0, -0.1, -0.7}};
        double[][] old = {{-0.45, -1.3, -0.3}, {-2.05, -0.12, -0.9}}; // ratios inside and outside the clip, none at its edge
        double[][] ref = {{-0.9, -1.1, -0.2}, {-1.9, -0.4, -0.2}};
        double[][] m = {{1, 1, 0}, {1, 1, 1}};
        Tensor logp = Tensor.variable(Nd4j.createFromArray(lp));
        GradCheck.check("GRPO loss", GradCheck.LOSS_TOLERANCE,
                in -> GroupPolicyLoss.compute(in[0], t(old), t(ref), new double[] {0.9, -0.6}, t(m), 0.1, 0.04).loss(), logp);
    }

    @Test
    void shapesAreChecked() {
        Tensor x = t(new double[][] {{-1, -1}});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GroupPolicyLoss.compute(x, x, x, new double[] {1, 2}, t(new double[][] {{1, 1}}), 0.2, 0));
        assertTrue(e.getMessage().contains("advantages must have shape [1]") && e.getMessage().contains("[2]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> GroupPolicyLoss.compute(x, x, x, new double[] {1}, t(new double[][] {{1, 1}}), 0.2, -1));
        assertTrue(e.getMessage().contains("beta"), e.getMessage());
    }
}
