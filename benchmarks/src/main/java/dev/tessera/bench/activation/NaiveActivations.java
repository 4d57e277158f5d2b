package dev.tessera.bench.activation;

import dev.tessera.core.Tensor;

/**
 * GELU (tanh approximation) and SwiGLU composed from Tessera's elementwise ops, one autograd
 * node per step: the naive references of {@code ActivationBenchmark}. (Exact GELU has no naive
 * twin: Tessera exposes no {@code erf} tensor op to compose it from.)
 */
public final class NaiveActivations {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    private NaiveActivations() {}

    /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's GELU. */
    public static Tensor geluTanh(Tensor x) {
        Tensor inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(SQRT_2_OVER_PI);
        return x.mul(inner.tanh().add(1.0)).mul(0.5);
    }

    /** gate·σ(gate)·up, Llama's MLP activation. */
    public static Tensor swiglu(Tensor gate, Tensor up) {
        return gate.mul(gate.sigmoid()).mul(up);
    }
}
