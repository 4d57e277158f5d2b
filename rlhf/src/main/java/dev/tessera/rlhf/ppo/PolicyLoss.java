package dev.tessera.rlhf.ppo;

import dev.tessera.host.HostMemory;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.math.Masked;
import dev.tessera.rlhf.math.Masks;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * PPO's clipped surrogate objective, as a loss to minimise (Schulman et al. 2017, eq. 7).
 *
 * <pre>
 *   ρ_t   = exp(logp_t − oldLogp_t)
 *   L_t   = max(−A_t·ρ_t, −A_t·clip(ρ_t, 1 − ε, 1 + ε))
 *   loss  = masked mean of L_t
 * </pre>
 * Diagnostics (no gradient): clip fraction = masked mean of [−A·clip(ρ) &gt; −A·ρ] (the tokens
 * whose gradient the clip removed), approx-KL = ½·masked mean of (logp − oldLogp)² (TRL's
 * estimator of KL(old ‖ new)), and the masked mean, min and max ratio. Example: A = 1, ε = 0.2, logp − old =
 * ln 1.5 → ρ = 1.5, L = max(−1.5, −1.2) = −1.2, clipped, zero gradient.
 */
public final class PolicyLoss {
    private PolicyLoss() {}

    /** The loss (rank 0, differentiable in logp) and its diagnostics. */
    public record Result(Tensor loss, double clipFraction, double approxKl, double meanRatio, double minRatio, double maxRatio) {}

    /**
     * @param logp (B, T) current policy log-probs of the sampled tokens (requires grad)
     * @param oldLogp (B, T) log-probs at rollout time (constant)
     * @param advantages (B, T) (constant)
     * @param mask (B, T) response-token mask
     * @param clipEps ε &gt; 0, typically 0.2
     */
    public static Result clipped(Tensor logp, Tensor oldLogp, Tensor advantages, Tensor mask, double clipEps) {
        String fn = "PolicyLoss.clipped";
        Masks.sameShape(fn, "logp", logp, "oldLogp", oldLogp);
        Masks.sameShape(fn, "logp", logp, "advantages", advantages);
        Masks.check(fn, logp, mask);
        Masks.positive(fn, "clipEps", clipEps);
        Tensor perToken = surrogate(logp, oldLogp.data(), advantages.data(), clipEps);
        Tensor loss = Masked.mean(perToken, mask);

        double[] lp = doubles(logp.data());
        double[] old = doubles(oldLogp.data());
        double[] a = doubles(advantages.data());
        double[] m = doubles(mask.data());
        double n = 0, clipped = 0, kl = 0, ratioSum = 0, ratioMax = 0, ratioMin = Double.POSITIVE_INFINITY;
        for (int i = 0; i < m.length; i++) {
            if (m[i] == 0) {
                continue;
            }
            double d = lp[i] - old[i];
            double ratio = Math.exp(d);
            double unclippedLoss = -a[i] * ratio;
            double clippedLoss = -a[i] * clamp(ratio, 1 - clipEps, 1 + clipEps);
            n++;
            clipped += clippedLoss > unclippedLoss ? 1 : 0;
            kl += 0.5 * d * d;
            ratioSum += ratio;
            ratioMax = Math.max(ratioMax, ratio);
            ratioMin = Math.min(ratioMin, ratio);
        }
        double div = Math.max(n, 1);
        return new Result(loss, clipped / div, kl / div, ratioSum / div, n == 0 ? 0 : ratioMin, ratioMax);
    }

    /**
     * Per-token L_t (same shape as logp, no mask applied) as one fused node, for losses that
     * aggregate it their own way (GRPO: per completion, then over completions). ∂L/∂logp = −A·ρ
     * where the unclipped term is the max (or the ratio lies inside the clip range), 0 where the
     * clipped constant is the max. {@code oldLogp} and {@code advantages} have logp's shape.
     */
    public static Tensor surrogate(Tensor logp, INDArray oldLogp, INDArray advantages, double eps) {
        Masks.sameShape("PolicyLoss.surrogate", "logp", logp.data(), "oldLogp", oldLogp);
        Masks.sameShape("PolicyLoss.surrogate", "logp", logp.data(), "advantages", advantages);
        Masks.positive("PolicyLoss.surrogate", "eps", eps);
        double[] lp = doubles(logp.data());
        double[] old = doubles(oldLogp);
        double[] a = doubles(advantages);
        double[] out = new double[lp.length];
        double[] dOut = new double[lp.length]; // ∂L/∂logp
        for (int i = 0; i < lp.length; i++) {
            double ratio = Math.exp(lp[i] - old[i]);
            double unclipped = -a[i] * ratio;
            double clippedRatio = clamp(ratio, 1 - eps, 1 + eps);
            double clipped = -a[i] * clippedRatio;
            if (clipped > unclipped) {
                out[i] = clipped;
                dOut[i] = 0; // the clipped constant wins
            } else {
                out[i] = unclipped;
                dOut[i] = -a[i] * ratio;
            }
        }
        long[] shape = logp.shape();
        DataType dt = logp.dtype();
        return Tensor.fromOp("ppoSurrogate", Nd4j.create(out, shape, DataType.DOUBLE).castTo(dt),
                g -> logp.accumulateGradOwned(Nd4j.create(dOut, shape, DataType.DOUBLE).castTo(dt).muli(g)), logp);
    }

    static double clamp(double x, double lo, double hi) {
        return Math.max(lo, Math.min(hi, x));
    }

    static double[] doubles(INDArray a) {
        return HostMemory.toDoubleArray(a);
    }
}
