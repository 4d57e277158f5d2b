package dev.tessera.nn;

import dev.tessera.core.MatMul;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * y = x · weight + bias, with weight stored input-major (in, out) as Hugging Face GPT-2's
 * {@code Conv1D} (PyTorch's {@code nn.Linear} stores (out, in): transpose when importing those).
 *
 * <p>An {@link Adapter} (LoRA, {@code dev.tessera.nn.lora}) may be attached: the layer then
 * returns x · weight + bias + adapter(x) while the adapter is active, and its own weight and bias
 * are frozen: they enter the graph as constants and never receive a gradient. The adapter is not
 * a registered child, so the layer's parameters and state dict stay the base model's.
 */
public final class Linear extends Module {
    private final Parameter weight; // (in, out)
    private final Parameter bias; // (out) or null
    private Adapter adapter; // null: a plain linear layer

    /** A trainable update added to a linear layer's output (LoRA's s·dropout(x)·A·B). */
    public interface Adapter {
        /** Whether the update is added now (false while it is switched off or merged into the weight). */
        boolean active();

        /**
         * The update for x (..., in): (..., out).
         *
         * @param training the layer's training mode (adapter dropout applies only in training)
         */
        Tensor delta(Tensor x, boolean training);
    }

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
        if (adapter == null) {
            return MatMul.linear(x, weight, bias);
        }
        // adapted: the base is frozen, so no gradient is computed or kept for its weight
        Tensor y = MatMul.linear(x, Tensor.constant(weight.data()), bias == null ? null : Tensor.constant(bias.data()));
        return adapter.active() ? y.add(adapter.delta(x, isTraining())) : y; // (..., out)
    }

    /**
     * {@code gelu(forward(x))} (exact GELU), fused into one node ({@link MatMul#linearGelu}) where no
     * adapter is active. x (..., in) → (..., out).
     */
    public Tensor forwardGelu(Tensor x) {
        return adapter == null ? MatMul.linearGelu(x, weight, bias) : forward(x).gelu();
    }

    /**
     * {@code geluTanh(forward(x))} (GPT-2's GELU), fused into one node ({@link MatMul#linearGeluTanh})
     * where no adapter is active. x (..., in) → (..., out).
     */
    public Tensor forwardGeluTanh(Tensor x) {
        return adapter == null ? MatMul.linearGeluTanh(x, weight, bias) : forward(x).geluTanh();
    }

    /** Attaches {@code a}; a layer holds at most one adapter. */
    public void attachAdapter(Adapter a) {
        if (a == null) {
            throw new IllegalArgumentException("Linear.attachAdapter: adapter must not be null");
        }
        if (adapter != null) {
            throw new IllegalStateException("Linear.attachAdapter: this layer already has an adapter; detach it first");
        }
        adapter = a;
    }

    /** Removes the adapter (a no-op without one); the layer is a plain, trainable linear layer again. */
    public void detachAdapter() {
        adapter = null;
    }

    /** The attached adapter, or null. */
    public Adapter adapter() {
        return adapter;
    }

    /**
     * Whether any linear layer in {@code root}'s tree has an active adapter. Fast paths that read
     * a model's weights directly (the GPT decode step) must not run then: they would skip the update.
     */
    public static boolean anyActiveAdapter(Module root) {
        if (root instanceof Linear l && l.adapter != null && l.adapter.active()) {
            return true;
        }
        for (Module child : root.children().values()) {
            if (anyActiveAdapter(child)) {
                return true;
            }
        }
        return false;
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null. */
    public Parameter bias() {
        return bias;
    }
}
