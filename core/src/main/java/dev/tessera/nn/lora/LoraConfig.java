package dev.tessera.nn.lora;

import java.util.List;

/**
 * Settings of low-rank adapters (LoRA, Hu et al. 2021), named as in PEFT's {@code LoraConfig}.
 *
 * @param rank r, the adapters' inner width, ≥ 1 [4–64]
 * @param alpha α; the update is scaled by α / r so that changing r does not change the learning
 *     rate's effect [often 2r]
 * @param dropout probability of dropping the adapter's input in training mode, in [0, 1) [0–0.1]
 * @param targets module names to adapt, matched against the model's module paths: a path matches
 *     when it equals a target or ends with "." + target ({@code c_attn} matches
 *     {@code h.0.attn.c_attn}); at least one, each must match at least one linear layer
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets) {
    public LoraConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("LoraConfig: rank must be >= 1 but was " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("LoraConfig: alpha must be finite and > 0 but was " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoraConfig: dropout must be in [0, 1) but was " + dropout);
        }
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("LoraConfig: targets must name at least one module but was " + targets);
        }
        for (String t : targets) {
            if (t == null || t.isEmpty() || t.startsWith(".") || t.endsWith(".")) {
                throw new IllegalArgumentException("LoraConfig: a target must be a module name or path such as 'c_attn' or"
                        + " 'h.0.attn.c_attn' but was '" + t + "'");
            }
        }
        targets = List.copyOf(targets);
    }

    /** The factor α / r applied to B·A. */
    public double scaling() {
        return alpha / rank;
    }

    /** Whether module {@code path} is one of the targets. */
    public boolean matches(String path) {
        for (String t : targets) {
            if (path.equals(t) || path.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }
}
