package dev.tessera.nn;

import dev.tessera.core.Indexing;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A lookup table (num, dim): integer ids of shape S → vectors of shape S + (dim). */
public final class Embedding extends Module {
    private final Parameter weight; // (num, dim)

    /** Entries N(0, std²); GPT-2 uses 0.02 for token and 0.01 for position embeddings. */
    public Embedding(long num, long dim, double std, Rng rng, DataType dtype) {
        this.weight = registerParameter("weight", new Parameter(Init.normal(rng, dtype, std, num, dim)));
    }

    /** ids (S), integer dtype, each in [0, num) → (S, dim). */
    public Tensor forward(INDArray ids) {
        return Indexing.embedding(weight, ids);
    }

    public Parameter weight() {
        return weight;
    }
}
