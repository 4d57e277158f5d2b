package dev.tessera.nn;

import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trainable leaf tensor owned by a {@link Module}. Optimizers update its {@link #data()} in
 * place, so graphs and state dicts keep pointing at the current values.
 */
public final class Parameter extends Tensor {
    /** Wraps {@code data} (C order, not a view) as a parameter that accumulates gradients. */
    public Parameter(INDArray data) {
        super(dev.tessera.host.HostMemory.dense(data), true);
    }
}
