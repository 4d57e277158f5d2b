package dev.tessera.training;

import dev.tessera.core.Dropout;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Embedding;
import dev.tessera.nn.LayerNorm;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.training.data.Batch;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A tiny language model from core layers (embedding → dropout → layer norm → MLP → logits) for loop tests. */
public final class TinyLm extends Module {
    public final Embedding wte;
    public final LayerNorm ln;
    public final Linear fc;
    public final Linear head;
    public final Rng dropoutRng;
    private final double dropout;

    public TinyLm(int vocab, int width, double dropout, long seed, DataType dtype) {
        Rng init = new Rng(seed);
        this.wte = registerModule("wte", new Embedding(vocab, width, 0.5, init, dtype));
        this.ln = registerModule("ln", new LayerNorm(width, 1e-5, dtype));
        this.fc = registerModule("fc", new Linear(width, 2 * width, true, init, dtype));
        this.head = registerModule("head", new Linear(2 * width, vocab, true, init, dtype));
        this.dropout = dropout;
        this.dropoutRng = new Rng(seed + 1);
    }

    /** ids (B, T) → logits (B, T, V). */
    public Tensor forward(INDArray ids) {
        Tensor x = wte.forward(ids); // (B, T, C)
        if (isTraining() && dropout > 0) {
            x = Dropout.dropout(x, dropout, dropoutRng);
        }
        return head.forward(fc.forward(ln.forward(x)).gelu()); // (B, T, V)
    }

    public Tensor forward(Batch b) {
        return forward(b.inputs());
    }
}
