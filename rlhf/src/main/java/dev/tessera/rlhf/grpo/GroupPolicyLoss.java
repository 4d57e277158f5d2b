package dev.tessera.rlhf.grpo;

import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import dev.tessera.rlhf.math.KlEstimator;
import dev.tessera.rlhf.math.KlPenalty;
import dev.tessera.rlhf.math.Masked;
import dev.tessera.rlhf.math.Masks;
import dev.tessera.rlhf.ppo.PolicyLoss;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * GRPO's objective as a loss to minimise (DeepSeekMath, eq. 3), RLOO's with β = 0:
 *
 * <pre>
 *   ρ_{i,t} = exp(logp_{i,t} − old_{i,t})
 *   L_{i,t} = max(−A_i·ρ, −A_i·clip(ρ, 1 − ε, 1 + ε)) + β·k3_{i,t}
 *   k3_{i,t} = exp(ref − logp) − (ref − logp) − 1
 *   loss    = (1/G) Σ_i (1/|o_i|) Σ_{t ∈ o_i} L_{i,t}
 * </pre>
 * i.e. the per-token mean over each completion o_i, then the mean over the G completions (a
 * completion without tokens counts as 0, and still counts in G). Unlike PPO's token-level mean,
 * a long completion does not weigh more than a short one. ∂k3/∂logp = 1 − exp(ref − logp).
 */
public final class GroupPolicyLoss {
    private GroupPolicyLoss() {}

    /**
     * The loss (rank 0, differentiable in logp) and diagnostics (no gradient): the fraction of
     * response tokens whose gradient the clip removed, the mean per-token k3 and the mean ratio.
     */
    public record Result(Tensor loss, double clipFraction, double meanKl, double meanRatio) {}

    /**
     * @param logp (G, T) current log-probs of the sampled tokens (requires grad)
     * @param oldLogp (G, T) log-probs at sampling time (constant)
     * @param refLogp (G, T) the reference model's log-probs (constant; ignored when beta = 0)
     * @param advantages (G) one advantage per completion
     * @param mask (G, T) response-token mask
     * @param clipEps ε in (0, 1) [0.2]
     * @param beta KL weight ≥ 0 [GRPO 0.04; 0 for RLOO, whose KL is in the reward]
     */
    public static Result compute(Tensor logp, Tensor oldLogp, Tensor refLogp, INDArray advantages, Tensor mask,
            double clipEps, double beta) {
        String fn = "GroupPolicyLoss.compute";
        Masks.sameShape(fn, "logp", logp, "oldLogp", oldLogp);
        Masks.sameShape(fn, "logp", logp, "refLogp", refLogp);
        Masks.check(fn, logp, mask);
        Masks.rank(fn, "logp", logp.data(), 2);
        long g = logp.size(0);
        long t = logp.size(1);
        if (advantages.rank() != 1 || advantages.length() != g) {
            throw new IllegalArgumentException(fn + ": advantages must have shape [" + g + "] (one per completion) but has "
                    + Arrays.toString(advantages.shape()));
        }
        if (!(clipEps > 0 && clipEps < 1)) {
            throw new IllegalArgumentException(fn + ": clipEps must be in (0, 1) but was " + clipEps);
        }
        if (!(beta >= 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException(fn + ": beta must be finite and >= 0 but was " + beta);
        }
        INDArray perToken = advantages.castTo(logp.dtype()).reshape(g, 1).repeat(1, t).dup('c'); // (G, T)
        Tensor l = PolicyLoss.surrogate(logp, oldLogp.data(), perToken, clipEps); // (G, T)
        Tensor k3 = KlPenalty.perToken(logp, Tensor.constant(refLogp.data()), KlEstimator.K3); // (G, T)
        if (beta > 0) {
            l = l.add(k3.mul(beta));
        }
        Tensor loss = Masked.mean(l, mask, 1).mean(); // per completion, then over completions

        double[] lp = HostMemory.toDoubleArray(logp.data());
        double[] old = HostMemory.toDoubleArray(oldLogp.data());
        double[] a = HostMemory.toDoubleArray(perToken);
        double[] m = HostMemory.toDoubleArray(mask.data());
        double[] kl = HostMemory.toDoubleArray(k3.data());
        double n = 0, clipped = 0, ratioSum = 0, klSum = 0;
        for (int i = 0; i < m.length; i++) {
            if (m[i] == 0) {
                continue;
            }
            double ratio = Math.exp(lp[i] - old[i]);
            double unclipped = -a[i] * ratio;
            double clippedLoss = -a[i] * Math.max(1 - clipEps, Math.min(1 + clipEps, ratio));
            n++;
            clipped += clippedLoss > unclipped ? 1 : 0;
            ratioSum += ratio;
            klSum += kl[i];
        }
        double div = Math.max(n, 1);
        return new Result(loss, clipped / div, klSum / div, ratioSum / div);
    }

    /** Convenience for tests and callers holding plain arrays: advantages as a Java array. */
    public static Result compute(Tensor logp, Tensor oldLogp, Tensor refLogp, double[] advantages, Tensor mask,
            double clipEps, double beta) {
        return compute(logp, oldLogp, refLogp, Nd4j.createFromArray(advantages), mask, clipEps, beta);
    }
}
