package dev.tessera.nn.lora;

import dev.tessera.core.Dropout;
import dev.tessera.core.MatMul;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Parameter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One layer's low-rank update: delta(x) = s · dropout(x) · A · B with A (in, r), B (r, out) and
 * s = α / r, in the input-major layout of {@link Linear} (PEFT's {@code lora_A.weight} is Aᵀ,
 * {@code lora_B.weight} is Bᵀ). A starts uniform in ±1/√in (PyTorch's Kaiming-uniform with
 * a = √5, PEFT's choice) and B at zero, so a fresh adapter changes nothing and its first gradient
 * reaches B only.
 */
final class LoraAdapter implements Linear.Adapter {
    private final Lora owner;
    private final Linear layer;
    final Parameter a; // (in, r)
    final Parameter b; // (r, out)
    private final double scaling;
    private final double dropout;
    private final Rng rng;

    LoraAdapter(Lora owner, Linear layer, LoraConfig config, Rng rng) {
        this.owner = owner;
        this.layer = layer;
        long in = layer.weight().size(0);
        long out = layer.weight().size(1);
        DataType dt = layer.weight().dtype();
        double bound = 1.0 / Math.sqrt(in);
        this.a = new Parameter(rng.uniform(dt, -bound, bound, in, config.rank()));
        this.b = new Parameter(Nd4j.zeros(dt, config.rank(), out));
        this.scaling = config.scaling();
        this.dropout = config.dropout();
        this.rng = rng.fork();
    }

    @Override
    public boolean active() {
        return owner.enabled() && !owner.merged();
    }

    @Override
    public Tensor delta(Tensor x, boolean training) {
        Tensor in = training && dropout > 0 ? Dropout.dropout(x, dropout, rng) : x; // (..., in)
        Tensor low = MatMul.linear(in, a, null); // (..., r)
        return MatMul.linear(low, b, null).mul(scaling); // (..., out)
    }

    /** s · A · B (in, out): what merging adds to the layer's weight. */
    INDArray update() {
        return a.data().mmul(b.data()).muli(scaling);
    }

    Linear layer() {
        return layer;
    }
}
