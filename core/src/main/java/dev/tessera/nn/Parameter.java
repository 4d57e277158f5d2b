package dev.tessera.nn;

import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A trainable leaf tensor owned by a {@link Module}. Optimizers update its {@link #data()} in
 * place, so graphs and state dicts keep pointing at the current values.
 */
public final class Parameter extends Tensor {
    /**
     * Wraps {@code data} as a parameter that accumulates gradients. A view (of another array's
     * buffer) is copied first, so that in-place updates never write into memory someone else owns.
     */
    public Parameter(INDArray data) {
        super(data.isView() ? data.dup('c') : HostMemory.dense(data), true);
    }
}
