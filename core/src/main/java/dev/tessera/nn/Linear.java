package dev.tessera.nn;

import dev.tessera.core.MatMul;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * y = x · weight + bias, with weight stored input-major (in, out) as Hugging Face GPT-2's
 * {@code Conv1D} (PyTorch's {@code nn.Linear} stores (out, in): transpose when importing those).
 */
public final class Linear extends Module {
    private final Parameter weight; // (in, out)
    private final Parameter bias; // (out) or null

    /** Weights N(0, 0.02²) as GPT-2, bias zero. */
    public Linear(long in, long out, boolean bias, Rng rng, DataType dtype) {
        this(new Parameter(Init.normal(rng, dtype, 0.02, in, out)), bias ? new Parameter(Nd4j.zeros(dtype, out)) : null);
    }

    /** Wraps given parameters; {@code bias} may be null. */
    public Linear(Parameter weight, Parameter bias) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("weight must be (in, out) but has rank " + weight.rank());
        }
        this.weight = registerParameter("weight", weight);
        this.bias = bias == null ? null : registerParameter("bias", bias);
    }

    /** x (..., in) → (..., out). */
    public Tensor forward(Tensor x) {
        return MatMul.linear(x, weight, bias);
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null. */
    public Parameter bias() {
        return bias;
    }
}
