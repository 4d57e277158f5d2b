package dev.tessera.rlhf.math;

import dev.tessera.core.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Entropy of the categorical distribution softmax(logits), one fused node. */
public final class Entropy {
    private Entropy() {}

    /**
     * logits (..., V) → (...): H = −Σ_i p_i log p_i with p = softmax(logits), log p = logits − lse.
     * Backward: ∂H/∂l_j = −p_j (log p_j + H). Entries at −∞ have p = 0 and contribute 0 (not NaN).
     * <pre>{@code logits [[0, 0]] -> [ln 2] = [0.6931]}</pre>
     */
    public static Tensor fromLogits(Tensor logits) {
        if (!logits.dtype().isFPType() || logits.rank() < 1) {
            throw new IllegalArgumentException("Entropy.fromLogits: logits must be floating point with rank >= 1 but is "
                    + logits);
        }
        int axis = logits.rank() - 1;
        long[] shape = logits.shape();
        INDArray l = logits.data();
        INDArray m = l.max(true, axis);
        BooleanIndexing.replaceWhere(m, 0.0, Conditions.isInfinite()); // an all -inf row must not give inf - inf
        INDArray shifted = l.sub(m.broadcast(shape));
        INDArray lse = Transforms.log(Transforms.exp(shifted, true).sum(true, axis), false);
        INDArray logp = shifted.subi(lse.broadcast(shape)); // (..., V)
        INDArray p = Transforms.exp(logp, true);
        INDArray plogp = p.mul(logp);
        BooleanIndexing.replaceWhere(plogp, 0.0, Conditions.isNan()); // 0 · (−∞)
        INDArray h = plogp.sum(true, axis).negi(); // (..., 1)
        long[] outShape = Arrays.copyOf(shape, shape.length - 1);
        return Tensor.fromOp("entropy", h.reshape('c', outShape).dup('c'), g -> {
            INDArray gk = g.reshape('c', h.shape()).broadcast(shape);
            INDArray grad = logp.add(h.broadcast(shape)).muli(p).negi();
            BooleanIndexing.replaceWhere(grad, 0.0, Conditions.isNan());
            logits.accumulateGradOwned(grad.muli(gk));
        }, logits);
    }
}
