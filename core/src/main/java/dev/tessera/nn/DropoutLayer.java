package dev.tessera.nn;

import dev.tessera.core.Dropout;
import dev.tessera.core.Require;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;

/** Dropout with probability p in training mode; the identity in eval mode. */
public final class DropoutLayer extends Module {
    private final double p;
    private final Rng rng;

    /** @param rng the source of masks (its state belongs to the training run's checkpoint) */
    public DropoutLayer(double p, Rng rng) {
        Require.inHalfOpen("p", p, 0, 1);
        this.p = p;
        this.rng = registerRng("rng", rng); // its state belongs in checkpoints (Module.namedRngs)
    }

    public Tensor forward(Tensor x) {
        return isTraining() && p > 0 ? Dropout.dropout(x, p, rng) : x;
    }

    public double p() {
        return p;
    }
}
