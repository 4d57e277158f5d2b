package dev.tessera.training.optim;

import dev.tessera.nn.Parameter;
import java.util.Collection;

/** Global-norm gradient clipping, as PyTorch's {@code clip_grad_norm_}. */
public final class GradClip {
    private GradClip() {}

    /** √(Σ over all gradients of g²), in float64; NaN/Inf when some gradient is not finite. */
    public static double globalNorm(Collection<Parameter> params) {
        double sum = 0;
        for (Parameter p : params) {
            if (p.grad() == null) {
                continue;
            }
            sum += HostChunks.sumOfSquares(p.grad());
        }
        return Math.sqrt(sum);
    }

    /**
     * Scales every gradient by maxNorm / (norm + 1e-6) when the global norm exceeds
     * {@code maxNorm}; leaves them untouched when the norm is not finite (the caller decides).
     *
     * @return the global norm before clipping
     */
    public static double clipGlobalNorm(Collection<Parameter> params, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("maxNorm must be > 0 but was " + maxNorm);
        }
        double norm = globalNorm(params);
        if (Double.isFinite(norm) && norm > maxNorm) {
            double scale = maxNorm / (norm + 1e-6);
            for (Parameter p : params) {
                if (p.grad() != null) {
                    p.grad().muli(scale);
                }
            }
        }
        return norm;
    }
}
