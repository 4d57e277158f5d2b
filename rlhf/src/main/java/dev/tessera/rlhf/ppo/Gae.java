package dev.tessera.rlhf.ppo;

import dev.tessera.host.HostMemory;
import dev.tessera.rlhf.math.Masks;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Generalised advantage estimation (Schulman et al. 2016) over masked token sequences.
 *
 * <p>For each row, the valid tokens (mask = 1) are the time steps of one episode, in order;
 * padding anywhere (left, right or between) is skipped, so the "next" step of a valid token is
 * the next valid token of the same row, and the last valid token is terminal (next value 0):
 * <pre>
 *   δ_t = r_t + γ·V_{t'} − V_t          (t' = next valid step, V_{t'} = 0 after the last)
 *   A_t = δ_t + γλ·A_{t'}               (reverse scan, A = 0 after the last)
 *   R_t = A_t + V_t                     (the value target)
 * </pre>
 * Masked-out positions get A = R = 0. Example (γ = 1, λ = 1): r = [0, 1], V = [0.5, 0.25] →
 * δ = [−0.25, 0.75], A = [0.5, 0.75], R = [1.0, 1.0].
 */
public final class Gae {
    private Gae() {}

    /** Advantages and returns (value targets), both (B, T), same dtype as the rewards. */
    public record Result(INDArray advantages, INDArray returns) {}

    /**
     * @param rewards (B, T) per-token rewards
     * @param values (B, T) value estimates from the rollout
     * @param mask (B, T) 1 for response tokens
     * @param gamma discount in [0, 1]
     * @param lambda GAE λ in [0, 1]
     */
    public static Result compute(INDArray rewards, INDArray values, INDArray mask, double gamma, double lambda) {
        Masks.rank("Gae.compute", "rewards", rewards, 2);
        Masks.sameShape("Gae.compute", "rewards", rewards, "values", values);
        Masks.sameShape("Gae.compute", "rewards", rewards, "mask", mask);
        Masks.checkBinary("Gae.compute", "mask", mask);
        if (!(gamma >= 0 && gamma <= 1)) {
            throw new IllegalArgumentException("Gae.compute: gamma must be in [0, 1] but was " + gamma);
        }
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException("Gae.compute: lambda must be in [0, 1] but was " + lambda);
        }
        int b = (int) rewards.size(0);
        int t = (int) rewards.size(1);
        double[] r = HostMemory.toDoubleArray(rewards);
        double[] v = HostMemory.toDoubleArray(values);
        double[] m = HostMemory.toDoubleArray(mask);
        double[] adv = new double[b * t];
        double[] ret = new double[b * t];
        for (int row = 0; row < b; row++) {
            double nextValue = 0;
            double nextAdv = 0;
            for (int col = t - 1; col >= 0; col--) {
                int i = row * t + col;
                if (m[i] == 0) {
                    continue; // padding: skipped by the scan, A = R = 0
                }
                double delta = r[i] + gamma * nextValue - v[i];
                adv[i] = delta + gamma * lambda * nextAdv;
                ret[i] = adv[i] + v[i];
                nextValue = v[i];
                nextAdv = adv[i];
            }
        }
        DataType dt = rewards.dataType();
        return new Result(Nd4j.create(adv, new long[] {b, t}, DataType.DOUBLE).castTo(dt),
                Nd4j.create(ret, new long[] {b, t}, DataType.DOUBLE).castTo(dt));
    }
}
