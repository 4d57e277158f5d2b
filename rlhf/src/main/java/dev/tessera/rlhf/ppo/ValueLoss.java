package dev.tessera.rlhf.ppo;

import dev.tessera.core.Tensor;
import dev.tessera.rlhf.math.Masked;
import dev.tessera.rlhf.math.Masks;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * PPO's clipped value loss (the OpenAI baselines / TRL form).
 *
 * <pre>
 *   V'_t  = oldV_t + clip(V_t − oldV_t, −c, c)
 *   L_t   = ½·max((V_t − R_t)², (V'_t − R_t)²)
 *   loss  = masked mean of L_t
 * </pre>
 * The clip keeps the value head from moving further than c per rollout; with c = ∞ this is the
 * plain ½·MSE. Example: oldV = 0, V = 1, R = 2, c = 0.2 → max(1, 3.24)/2 = 1.62, zero gradient.
 */
public final class ValueLoss {
    private ValueLoss() {}

    /** The loss (rank 0, differentiable in values) and the fraction of tokens where the clipped branch won. */
    public record Result(Tensor loss, double clipFraction) {}

    /**
     * @param values (B, T) current value predictions (requires grad)
     * @param oldValues (B, T) predictions at rollout time
     * @param returns (B, T) GAE returns (value targets)
     * @param mask (B, T)
     * @param clipRange c &gt; 0 (may be {@code Double.POSITIVE_INFINITY}), typically 0.2
     */
    public static Result clipped(Tensor values, Tensor oldValues, Tensor returns, Tensor mask, double clipRange) {
        String fn = "ValueLoss.clipped";
        Masks.sameShape(fn, "values", values, "oldValues", oldValues);
        Masks.sameShape(fn, "values", values, "returns", returns);
        Masks.check(fn, values, mask);
        if (!(clipRange > 0)) {
            throw new IllegalArgumentException(fn + ": clipRange must be > 0 (or +inf) but was " + clipRange);
        }
        double[] v = PolicyLoss.doubles(values.data());
        double[] old = PolicyLoss.doubles(oldValues.data());
        double[] ret = PolicyLoss.doubles(returns.data());
        double[] m = PolicyLoss.doubles(mask.data());
        double[] out = new double[v.length];
        double[] dOut = new double[v.length];
        double n = 0, clippedCount = 0;
        for (int i = 0; i < v.length; i++) {
            double l1 = 0.5 * (v[i] - ret[i]) * (v[i] - ret[i]);
            // the branch is chosen by the range test, not by comparing the two losses: inside the
            // range V' is V, but old + (V − old) computed in floating point can differ from V in the
            // last bit, and the comparison would then pick a "clipped" branch with zero gradient
            boolean outside = Math.abs(v[i] - old[i]) > clipRange;
            boolean clippedWins = false;
            if (outside) {
                double vc = old[i] + Math.copySign(clipRange, v[i] - old[i]);
                double l2 = 0.5 * (vc - ret[i]) * (vc - ret[i]);
                clippedWins = l2 > l1;
                out[i] = clippedWins ? l2 : l1;
            } else {
                out[i] = l1;
            }
            dOut[i] = clippedWins ? 0 : v[i] - ret[i]; // V' = old ± c is constant in V
            if (m[i] != 0) {
                n++;
                clippedCount += clippedWins ? 1 : 0;
            }
        }
        long[] shape = values.shape();
        DataType dt = values.dtype();
        Tensor perToken = Tensor.fromOp("ppoValueLoss", Nd4j.create(out, shape, DataType.DOUBLE).castTo(dt),
                g -> values.accumulateGradOwned(Nd4j.create(dOut, shape, DataType.DOUBLE).castTo(dt).muli(g)), values);
        return new Result(Masked.mean(perToken, mask), clippedCount / Math.max(n, 1));
    }

    /** Plain masked ½·MSE (no clip), e.g. for fitting a value head before PPO. */
    public static Tensor mse(Tensor values, Tensor returns, Tensor mask) {
        Masks.sameShape("ValueLoss.mse", "values", values, "returns", returns);
        Tensor d = values.sub(returns);
        return Masked.mean(d.mul(d), mask).mul(0.5);
    }
}
