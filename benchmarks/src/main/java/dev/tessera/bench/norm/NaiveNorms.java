package dev.tessera.bench.norm;

import dev.tessera.core.Tensor;

/**
 * Layer norm and RMS norm over the last dim of an (N, C) tensor composed from Tessera's
 * elementwise and reduction ops (one autograd node per step): what a user would write without
 * the fused op, and the reference {@code NormBenchmark} measures it against.
 */
public final class NaiveNorms {
    private NaiveNorms() {}

    /** (x − mean) · (var + eps)^−½ · w + b, biased variance, as PyTorch's {@code layer_norm}. */
    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        int last = x.rank() - 1;
        Tensor xc = x.subBroadcast(x.mean(true, last)); // (N, C)
        Tensor rstd = xc.mul(xc).mean(true, last).add(eps).pow(-0.5); // (N, 1)
        return xc.mulBroadcast(rstd).mulBroadcast(weight).addBroadcast(bias);
    }

    /** x · (mean(x²) + eps)^−½ · w. */
    public static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        int last = x.rank() - 1;
        Tensor rstd = x.mul(x).mean(true, last).add(eps).pow(-0.5); // (N, 1)
        return x.mulBroadcast(rstd).mulBroadcast(weight);
    }
}
