package dev.tessera.rlhf.pipeline;

/**
 * Progress callbacks of {@link RecipePipeline}, called on the pipeline's thread. The library
 * never prints; a command-line front end implements this to draw progress bars.
 */
public interface RecipeListener {
    /** A stage begins; {@code totalSteps} is the number of {@link #onStep} calls to expect. */
    default void onStageStart(Stage stage, long totalSteps) {}

    /**
     * One step of a stage is done.
     *
     * @param step 1-based
     * @param metricName what {@code metric} is ("loss", "score", …)
     * @param tokens tokens processed by this step (forward passes over prompts and responses included)
     * @param seconds wall time of this step
     */
    default void onStep(Stage stage, long step, long totalSteps, String metricName, double metric, long tokens,
            double seconds) {}

    /** A stage ends, with a one-line summary of what it produced. */
    default void onStageEnd(Stage stage, String summary, double seconds) {}

    /** Does nothing. */
    RecipeListener NONE = new RecipeListener() {};
}
