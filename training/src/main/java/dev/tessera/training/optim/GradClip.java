package dev.tessera.training.optim;

import dev.tessera.nn.Parameter;
import dev.tessera.training.Flat;
import java.util.Collection;
import java.util.Map;

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
     * {@code maxNorm}; leaves them untouched when the norm is not finite. The caller must then
     * not take the optimizer step: every trainer checks the returned norm and stops or skips the
     * step (see {@code OnNonFinite}).
     *
     * @return the global norm before clipping (NaN or +inf when some gradient is not finite)
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

    /** The name of the first parameter (in map order) whose gradient holds a NaN or an infinity; null when all are finite. */
    public static String firstNonFiniteGradient(Map<String, Parameter> params) {
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            if (e.getValue().grad() == null) {
                continue;
            }
            for (double x : Flat.doubles(e.getValue().grad())) { // only on the failure path: a copy is fine
                if (!Double.isFinite(x)) {
                    return e.getKey();
                }
            }
        }
        return null;
    }
}
