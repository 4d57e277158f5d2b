package dev.tessera.rlhf.math;

import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** log σ(x), stable for any x, one fused node (the ranking and DPO losses are built on it). */
public final class LogSigmoid {
    private LogSigmoid() {}

    /**
     * log σ(x) = min(x, 0) − log(1 + e^{−|x|}); ∂/∂x = σ(−x). Exact for x = ±1e4 where the naive
     * log(sigmoid(x)) gives −∞: logSigmoid(−1e4) = −1e4, logSigmoid(1e4) = 0.
     */
    public static Tensor of(Tensor x) {
        if (!x.dtype().isFPType()) {
            throw new IllegalArgumentException("LogSigmoid.of: x must be floating point but has dtype " + x.dtype());
        }
        INDArray v = x.data();
        INDArray out = Transforms.min(v, 0.0, true)
                .subi(Transforms.log(Transforms.exp(Transforms.abs(v, true).negi(), false).addi(1.0), false));
        return Tensor.fromOp("logSigmoid", out,
                g -> x.accumulateGradOwned(Transforms.sigmoid(v.neg(), false).muli(g)), x);
    }
}
