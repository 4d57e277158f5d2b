package dev.tessera.rlhf.model;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Parameter;
import dev.tessera.nn.lora.Lora;
import dev.tessera.nn.lora.LoraConfig;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A {@link CausalLm} with LoRA adapters on some of its linear layers: it computes the adapted
 * model, and its {@link #trainableParameters()} are the adapters alone, so the SFT, reward-model
 * and DPO objectives (on the training loop), PPO and GRPO update only those and leave every base weight bit-identical.
 *
 * <p>{@link #base()} is the same model with the adapters switched off for each call: the frozen
 * reference of PPO and DPO without a second copy of the weights.
 *
 * <pre>{@code
 * LoraLm policy = LoraLm.attach(sft, new LoraConfig(8, 16, 0, List.of("c_attn", "c_fc")), rng);
 * new DpoObjective(policy, policy.base(), pairs, ...);
 * }</pre>
 */
public final class LoraLm extends DelegatingLm {
    private final Lora lora;

    /** Wraps {@code model} whose layers carry {@code lora}'s adapters. */
    public LoraLm(CausalLm model, Lora lora) {
        super(checked(model, lora));
        this.lora = lora;
    }

    /** Attaches fresh adapters (B = 0: the model's outputs are unchanged) to {@code model}'s matching layers. */
    public static LoraLm attach(CausalLm model, LoraConfig config, Rng rng) {
        return new LoraLm(model, Lora.attach(model.module(), config, rng));
    }

    /** The adapters. */
    public Lora lora() {
        return lora;
    }

    /** The model's computations with the adapters on, as they are. */
    @Override
    protected Tensor run(Supplier<Tensor> computation) {
        return computation.get();
    }

    /** The adapters' parameters only. */
    @Override
    public Map<String, Parameter> trainableParameters() {
        return lora.namedParameters();
    }

    /** An independent copy: a copy of the base model with a copy of the adapters (not while merged). */
    @Override
    public LoraLm copy() {
        if (lora.merged()) {
            throw new IllegalStateException("LoraLm.copy: the adapters are merged; unmerge() first so that the copy's base"
                    + " weights are the base model's");
        }
        CausalLm c = model.copy();
        Lora adapters = Lora.attach(c.module(), lora.config(), new Rng(0));
        adapters.copyFrom(lora);
        adapters.setEnabled(lora.enabled());
        return new LoraLm(c, adapters);
    }

    /**
     * The base model: this model with the adapters switched off during every call. It shares the
     * (frozen) base weights and has no trainable parameters of its own. Throws on use while merged.
     */
    public CausalLm base() {
        return new DelegatingLm(model) {
            @Override
            protected Tensor run(Supplier<Tensor> computation) {
                try (Lora.Off ignored = lora.off()) {
                    return computation.get();
                }
            }

            /** None: the base weights are frozen while the adapters are attached. */
            @Override
            public Map<String, Parameter> trainableParameters() {
                return Map.of();
            }

            /** A copy of the base model alone (no adapters). */
            @Override
            public CausalLm copy() {
                if (lora.merged()) {
                    throw new IllegalStateException("LoraLm.base().copy: the adapters are merged into the weights");
                }
                return model.copy();
            }
        };
    }

    /** {@code model}, after checking both arguments (before the superclass sees them). */
    private static CausalLm checked(CausalLm model, Lora lora) {
        if (model == null || lora == null) {
            throw new IllegalArgumentException("LoraLm: model and lora must not be null");
        }
        return model;
    }
}
