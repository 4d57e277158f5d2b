package dev.tessera.rlhf.grpo;

/**
 * Per-completion advantages from the scores of groups of k samples of one prompt. Completions of
 * one group are contiguous: rows [g·k, (g + 1)·k) belong to prompt g.
 */
public final class GroupAdvantages {
    private GroupAdvantages() {}

    /**
     * GRPO's group normalisation: A_i = (r_i − μ_g) / (σ_g + eps), with μ_g the group mean and σ_g
     * its standard deviation with Bessel's correction (÷ (k − 1), as {@code torch.std} in TRL's GRPO).
     * A group whose rewards are all equal has σ = 0 and gets A = 0 everywhere: it carries no signal.
     * <pre>{@code rewards [1, 0], k 2: μ 0.5, σ √0.5 → [0.5/(√0.5 + eps), −0.5/(√0.5 + eps)]}</pre>
     *
     * @param k samples per prompt, ≥ 2, dividing rewards.length
     * @param eps added to σ, > 0 (1e-4 in DeepSeekMath's and TRL's code)
     */
    public static double[] groupNormalised(double[] rewards, int k, double eps) {
        check("GroupAdvantages.groupNormalised", rewards, k);
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("GroupAdvantages.groupNormalised: eps must be finite and > 0 but was " + eps);
        }
        double[] out = new double[rewards.length];
        for (int g = 0; g < rewards.length; g += k) {
            double mean = 0;
            for (int i = g; i < g + k; i++) {
                mean += rewards[i] / k;
            }
            double ss = 0;
            for (int i = g; i < g + k; i++) {
                ss += (rewards[i] - mean) * (rewards[i] - mean);
            }
            double std = Math.sqrt(ss / (k - 1));
            for (int i = g; i < g + k; i++) {
                out[i] = (rewards[i] - mean) / (std + eps);
            }
        }
        return out;
    }

    /**
     * RLOO's leave-one-out baseline: A_i = r_i − (Σ_{j≠i} r_j) / (k − 1), which equals
     * k/(k − 1)·(r_i − μ_g). Unbiased, because the baseline of sample i does not depend on it.
     * <pre>{@code rewards [1, 2, 6], k 3: baselines [4, 3.5, 1.5] → [−3, −1.5, 4.5]}</pre>
     *
     * @param k samples per prompt, ≥ 2, dividing rewards.length
     */
    public static double[] leaveOneOut(double[] rewards, int k) {
        check("GroupAdvantages.leaveOneOut", rewards, k);
        double[] out = new double[rewards.length];
        for (int g = 0; g < rewards.length; g += k) {
            double sum = 0;
            for (int i = g; i < g + k; i++) {
                sum += rewards[i];
            }
            for (int i = g; i < g + k; i++) {
                out[i] = rewards[i] - (sum - rewards[i]) / (k - 1);
            }
        }
        return out;
    }

    private static void check(String fn, double[] rewards, int k) {
        if (rewards == null || rewards.length == 0) {
            throw new IllegalArgumentException(fn + ": rewards must not be empty");
        }
        if (k < 2) {
            throw new IllegalArgumentException(fn + ": k must be >= 2 samples per prompt (a group of one has no baseline)"
                    + " but was " + k);
        }
        if (rewards.length % k != 0) {
            throw new IllegalArgumentException(fn + ": rewards.length must be a multiple of k = " + k + " but was "
                    + rewards.length);
        }
        for (int i = 0; i < rewards.length; i++) {
            if (!Double.isFinite(rewards[i])) {
                throw new IllegalArgumentException(fn + ": rewards[" + i + "] must be finite but was " + rewards[i]);
            }
        }
    }
}
