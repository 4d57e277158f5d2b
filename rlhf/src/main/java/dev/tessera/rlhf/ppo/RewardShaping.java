package dev.tessera.rlhf.ppo;

/**
 * How a reward-model score becomes the terminal reward: r = clip(scale·(score − shift), −clip, clip).
 * Scaling keeps the score on the scale of the per-token KL penalty; clipping keeps one outlier
 * score from dominating a batch. Typical values: shift 0, scale 1, clip 5 (or ∞ for none).
 *
 * @param shift subtracted before scaling (e.g. the reward model's reference-set mean, if it was not
 *     normalised already)
 * @param scale multiplier &gt; 0
 * @param clip bound &gt; 0 on |r|, or {@code Double.POSITIVE_INFINITY}
 */
public record RewardShaping(double shift, double scale, double clip) {
    public RewardShaping {
        if (!Double.isFinite(shift)) {
            throw new IllegalArgumentException("RewardShaping: shift must be finite but was " + shift);
        }
        if (!(scale > 0) || !Double.isFinite(scale)) {
            throw new IllegalArgumentException("RewardShaping: scale must be finite and > 0 but was " + scale);
        }
        if (!(clip > 0)) {
            throw new IllegalArgumentException("RewardShaping: clip must be > 0 (or +inf for no clipping) but was " + clip);
        }
    }

    /** Scores passed through unchanged. */
    public static RewardShaping none() {
        return new RewardShaping(0, 1, Double.POSITIVE_INFINITY);
    }

    /**
     * The shaped terminal reward of one score. A non-finite score (or one whose scaled value
     * overflows) is an error, never clipped: +inf clipped to +clip would reward a broken reward
     * model's output as the best possible response.
     */
    public double apply(double score) {
        double r = scale * (score - shift);
        if (!Double.isFinite(r)) {
            throw new IllegalArgumentException("RewardShaping: score must be finite (and scale·(score − shift) too) but was "
                    + score + (Double.isFinite(score) ? " (scaled: " + r + ")" : ""));
        }
        return Math.max(-clip, Math.min(clip, r));
    }
}
