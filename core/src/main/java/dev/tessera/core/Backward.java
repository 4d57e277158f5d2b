package dev.tessera.core;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The backward half of one recorded op: given the gradient of the loss with respect to the op's
 * output, add the gradients of its inputs with {@link Tensor#accumulateGrad}.
 */
@FunctionalInterface
public interface Backward {
    /** @param gradOutput gradient w.r.t. the op's output, same shape as the output; must not be modified */
    void apply(INDArray gradOutput);
}
