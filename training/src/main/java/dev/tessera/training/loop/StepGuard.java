package dev.tessera.training.loop;

import dev.tessera.nn.Parameter;
import dev.tessera.training.optim.GradClip;
import java.util.Map;

/**
 * The check every training loop runs between backward and the optimizer step: clip the global
 * gradient norm and find what, if anything, is not finite. Shared by {@link Trainer} and the
 * RLHF loops that keep their own step order (PPO), so both decide the same way.
 */
public final class StepGuard {
    private StepGuard() {}

    /**
     * The verdict on a step.
     *
     * @param gradNorm global gradient norm before clipping (NaN when the loss was already bad)
     * @param problem what is not finite, e.g. "gradient of 'h.0.attn.weight' (global norm NaN)", or null
     */
    public record Verdict(double gradNorm, String problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    /** "loss (NaN)" when {@code loss} is not finite, else null. */
    public static String lossProblem(double loss) {
        return Double.isFinite(loss) ? null : "loss (" + loss + ")";
    }

    /**
     * Measures the global gradient norm of {@code params}, clips it to {@code clipNorm} when that
     * is &gt; 0 (and finite), and names the first parameter whose gradient is not finite.
     */
    public static Verdict clip(Map<String, Parameter> params, double clipNorm) {
        double norm = clipNorm > 0 && Double.isFinite(clipNorm) ? GradClip.clipGlobalNorm(params.values(), clipNorm)
                : GradClip.globalNorm(params.values());
        if (Double.isFinite(norm)) {
            return new Verdict(norm, null);
        }
        String name = GradClip.firstNonFiniteGradient(params);
        return new Verdict(norm, "gradient of '" + (name == null ? "?" : name) + "' (global norm " + norm + ")");
    }
}
