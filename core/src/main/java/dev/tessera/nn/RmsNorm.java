package dev.tessera.nn;

import dev.tessera.core.Normalization;
import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** RMS norm over the last dim with a learnable weight (ones); Llama uses eps 1e-5 or 1e-6. */
public final class RmsNorm extends Module {
    private final Parameter weight; // (C)
    private final double eps;

    public RmsNorm(long dim, double eps, DataType dtype) {
        if (!(eps > 0)) {
            throw new IllegalArgumentException("eps must be > 0 but was " + eps);
        }
        this.weight = registerParameter("weight", new Parameter(Nd4j.ones(dtype, dim)));
        this.eps = eps;
    }

    /** x (..., C) → (..., C). */
    public Tensor forward(Tensor x) {
        return Normalization.rmsNorm(x, weight, eps);
    }

    public Parameter weight() {
        return weight;
    }
}
