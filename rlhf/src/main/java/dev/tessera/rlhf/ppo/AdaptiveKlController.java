package dev.tessera.rlhf.ppo;

/**
 * Ziegler et al. (2019) proportional controller that steers the KL to the reference towards a
 * target:
 * <pre>
 *   e  = clip(KL / target − 1, −0.2, 0.2)
 *   β ← β · (1 + e · min(n / horizon, 1))
 * </pre>
 * with n the number of sequences the KL was measured on. KL above target raises β, below lowers
 * it; the clip bounds the step. Example: β = 0.1, target 6, horizon 10000, KL = 12, n = 256 →
 * e = 0.2, β = 0.1 · 1.00512 = 0.100512. Typical: target 6 nats, horizon 10000.
 *
 * <p>Why n / horizon is capped at 1: Ziegler et al. assume batches much smaller than the
 * horizon. With n ≥ 5·horizon and the KL below 0.8·target their factor is ≤ 0, β becomes 0 and,
 * being multiplied, can never grow back. Capped, one update moves β by at most ±20%, and β is
 * kept at or above the smallest normal double, so it always stays positive and can recover.
 *
 * <p>An optional floor keeps β from falling below {@code minBeta}. Why: a run starts at the
 * reference policy, where the KL is 0, so the controller spends the first iterations lowering β;
 * in a short run it then cannot raise β fast enough once the KL passes the target (the recipe
 * demo ended 0.4–0.9 nats above a 1.5 target without a floor, and within 0.15 of it with the
 * floor at the starting β).
 */
public final class AdaptiveKlController implements KlController {
    /** Ziegler et al.'s bound on the proportional error. */
    public static final double ERROR_CLIP = 0.2;
    private final double target;
    private final double horizon;
    private final double minBeta;
    private double beta;

    /** Ziegler et al.'s controller, with no floor on β. */
    public AdaptiveKlController(double initialBeta, double target, double horizon) {
        this(initialBeta, target, horizon, 0);
    }

    /**
     * @param minBeta β never falls below this, in [0, initialBeta]; 0 for Ziegler et al.'s
     *     controller, {@code initialBeta} to only ever raise β
     */
    public AdaptiveKlController(double initialBeta, double target, double horizon, double minBeta) {
        if (!(initialBeta > 0) || !Double.isFinite(initialBeta)) {
            throw new IllegalArgumentException("AdaptiveKlController: initialBeta must be finite and > 0 but was " + initialBeta);
        }
        if (!(target > 0) || !Double.isFinite(target)) {
            throw new IllegalArgumentException("AdaptiveKlController: target must be finite and > 0 but was " + target);
        }
        if (!(horizon > 0) || !Double.isFinite(horizon)) {
            throw new IllegalArgumentException("AdaptiveKlController: horizon must be finite and > 0 but was " + horizon);
        }
        if (!(minBeta >= 0 && minBeta <= initialBeta)) {
            throw new IllegalArgumentException("AdaptiveKlController: minBeta must be in [0, initialBeta = " + initialBeta
                    + "] but was " + minBeta);
        }
        this.beta = initialBeta;
        this.target = target;
        this.horizon = horizon;
        this.minBeta = minBeta;
    }

    @Override
    public double beta() {
        return beta;
    }

    public double target() {
        return target;
    }

    @Override
    public void update(double observedKl, long sequences) {
        if (!Double.isFinite(observedKl)) {
            throw new IllegalArgumentException("AdaptiveKlController.update: observedKl must be finite but was " + observedKl);
        }
        if (sequences < 0) {
            throw new IllegalArgumentException("AdaptiveKlController.update: sequences must be >= 0 but was " + sequences);
        }
        double error = Math.max(-ERROR_CLIP, Math.min(ERROR_CLIP, observedKl / target - 1));
        double step = Math.min((double) sequences / horizon, 1.0);
        beta = Math.max(Math.max(minBeta, Double.MIN_NORMAL), beta * (1 + error * step));
    }

    @Override
    public void restoreBeta(double beta) {
        if (!(beta >= minBeta) || !Double.isFinite(beta) || beta <= 0) {
            throw new IllegalArgumentException("AdaptiveKlController: a restored beta must be finite, > 0 and >= minBeta "
                    + minBeta + " but was " + beta);
        }
        this.beta = beta;
    }
}
