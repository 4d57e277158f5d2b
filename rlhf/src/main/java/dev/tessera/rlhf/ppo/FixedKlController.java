package dev.tessera.rlhf.ppo;

/** A constant β (InstructGPT used β = 0.02). */
public final class FixedKlController implements KlController {
    private final double beta;

    public FixedKlController(double beta) {
        if (!(beta >= 0) || !Double.isFinite(beta)) {
            throw new IllegalArgumentException("FixedKlController: beta must be finite and >= 0 but was " + beta);
        }
        this.beta = beta;
    }

    @Override
    public double beta() {
        return beta;
    }

    @Override
    public void update(double observedKl, long sequences) {
        // fixed: observations do not move β
    }

    @Override
    public void restoreBeta(double beta) {
        if (beta != this.beta) {
            throw new IllegalArgumentException("FixedKlController: the checkpoint's beta must be this controller's "
                    + this.beta + " but was " + beta);
        }
    }
}
