package dev.tessera.training.optim;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Updates a fixed set of named parameters in place from their accumulated gradients. The state
 * (moments, step count) can be exported and restored for exact resume.
 */
public interface Optimizer {
    /** Applies one update with the current learning rate; parameters without a gradient are skipped. */
    void step();

    /** Clears every managed parameter's gradient. */
    void zeroGrad();

    double learningRate();

    /** Sets the learning rate used by the next {@link #step()} (schedules call this each step). */
    void setLearningRate(double lr);

    /** Number of {@link #step()} calls so far (restored by {@link #loadStateDict}). */
    long stepCount();

    /** Copies of the full state, keyed by stable names such as {@code exp_avg.h.0.mlp.c_fc.weight}. */
    Map<String, INDArray> stateDict();

    /** Restores a {@link #stateDict()}; names and shapes must match exactly. */
    void loadStateDict(Map<String, INDArray> state);
}
