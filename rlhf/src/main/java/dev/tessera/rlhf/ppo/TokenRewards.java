package dev.tessera.rlhf.ppo;

import dev.tessera.rlhf.math.Masks;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-token rewards of InstructGPT's PPO (Ouyang et al. 2022, eq. 2, per token as in Ziegler et
 * al. 2019):
 * <pre>
 *   r_t = −β·KL_t·m_t  +  [t = last valid token of the row]·shaping(score_b)
 * </pre>
 * Example: β = 0.1, KL = [[0.5, 1.0, 9]], mask = [[1, 1, 0]], score = [2] → [[−0.05, 1.9, 0]].
 */
public final class TokenRewards {
    private TokenRewards() {}

    /**
     * @param scores (B) reward-model scores of each response, all finite
     * @param kl (B, T) per-token KL estimates (see {@code KlPenalty})
     * @param mask (B, T) response-token mask; every row needs at least one valid token
     * @param beta KL coefficient ≥ 0
     * @param shaping how the score becomes a reward
     * @return (B, T) rewards, same dtype as kl, 0 on padding
     */
    public static INDArray compute(INDArray scores, INDArray kl, INDArray mask, double beta, RewardShaping shaping) {
        String fn = "TokenRewards.compute";
        Masks.rank(fn, "kl", kl, 2);
        Masks.sameShape(fn, "kl", kl, "mask", mask);
        Masks.checkBinary(fn, "mask", mask);
        long b = kl.size(0);
        if (scores.length() != b || scores.rank() > 1) {
            throw new IllegalArgumentException(fn + ": scores must have shape [" + b + "] (one per row of kl) but has shape "
                    + Arrays.toString(scores.shape()));
        }
        if (!(beta >= 0) || !Double.isFinite(beta)) {
            throw new IllegalArgumentException(fn + ": beta must be finite and >= 0 but was " + beta);
        }
        int t = (int) kl.size(1);
        double[] k = PolicyLoss.doubles(kl);
        double[] m = PolicyLoss.doubles(mask);
        double[] s = PolicyLoss.doubles(scores.reshape(b));
        checkFinite(fn, s);
        double[] out = new double[k.length];
        for (int row = 0; row < b; row++) {
            int last = -1;
            for (int col = 0; col < t; col++) {
                int i = row * t + col;
                if (m[i] != 0) {
                    out[i] = -beta * k[i];
                    last = i;
                }
            }
            if (last < 0) {
                throw new IllegalArgumentException(fn + ": row " + row + " of mask has no valid token, so its score has"
                        + " nowhere to go");
            }
            out[last] += shaping.apply(s[row]);
        }
        return Nd4j.create(out, new long[] {b, t}, DataType.DOUBLE).castTo(kl.dataType());
    }

    /** Requires every score to be finite, naming the first that is not. */
    static void checkFinite(String fn, double[] scores) {
        for (int i = 0; i < scores.length; i++) {
            if (!Double.isFinite(scores[i])) {
                throw new IllegalArgumentException(fn + ": scores must be finite but scores[" + i + "] is " + scores[i]);
            }
        }
    }
}
