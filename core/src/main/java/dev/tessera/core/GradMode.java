package dev.tessera.core;

/**
 * Thread-local switch for recording the autograd graph.
 *
 * <pre>{@code
 * try (GradMode.Scope ignored = GradMode.noGrad()) {
 *     Tensor logits = model.forward(ids);   // no graph recorded, no saved activations
 * }
 * }</pre>
 *
 * Inference and frozen reference models (PPO's SFT reference) run under {@code noGrad()} so
 * that no backward closures keep activations alive.
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    /** Whether ops on this thread record a graph. */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Disables graph recording until the returned scope is closed (restores the previous state). */
    public static Scope noGrad() {
        return set(false);
    }

    /** Enables graph recording until the returned scope is closed (restores the previous state). */
    public static Scope enableGrad() {
        return set(true);
    }

    private static Scope set(boolean value) {
        boolean[] cell = ENABLED.get();
        boolean previous = cell[0];
        cell[0] = value;
        return () -> cell[0] = previous;
    }

    /** A scope that restores the previous grad mode when closed. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
