package dev.tessera.nn;

import dev.tessera.core.Normalization;
import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Layer norm over the last dim with learnable weight (ones) and bias (zeros); eps 1e-5 as GPT-2. */
public final class LayerNorm extends Module {
    private final Parameter weight; // (C)
    private final Parameter bias; // (C)
    private final double eps;

    public LayerNorm(long dim, double eps, DataType dtype) {
        if (!(eps > 0)) {
            throw new IllegalArgumentException("eps must be > 0 but was " + eps);
        }
        this.weight = registerParameter("weight", new Parameter(Nd4j.ones(dtype, dim)));
        this.bias = registerParameter("bias", new Parameter(Nd4j.zeros(dtype, dim)));
        this.eps = eps;
    }

    /** x (..., C) → (..., C). */
    public Tensor forward(Tensor x) {
        return Normalization.layerNorm(x, weight, bias, eps);
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }
}
