package dev.tessera.attention;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Init;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The feed-forward network. GELU kinds: {@code c_fc} (C, hidden), {@code c_proj} (hidden, C), the
 * GPT-2 names. SwiGLU: {@code gate_proj}, {@code up_proj} (C, hidden), {@code down_proj} (hidden, C),
 * the Llama names. The projection back into the residual stream gets GPT-2's scaled init.
 */
public final class Mlp extends Module {
    private final MlpKind kind;
    private final Linear fc; // c_fc or gate_proj (C, hidden)
    private final Linear up; // up_proj (C, hidden) or null
    private final Linear proj; // c_proj or down_proj (hidden, C)

    public Mlp(int nEmbd, int hidden, MlpKind kind, boolean bias, int nLayer, Rng rng, DataType dtype) {
        this.kind = kind;
        boolean glu = kind == MlpKind.SWIGLU;
        fc = registerModule(glu ? "gate_proj" : "c_fc", new Linear(nEmbd, hidden, bias, rng, dtype));
        up = glu ? registerModule("up_proj", new Linear(nEmbd, hidden, bias, rng, dtype)) : null;
        Parameter w = new Parameter(Init.gpt2Residual(rng, dtype, nLayer, hidden, nEmbd));
        proj = registerModule(glu ? "down_proj" : "c_proj", new Linear(w, bias ? new Parameter(Nd4j.zeros(dtype, nEmbd)) : null));
    }

    /** x (B, T, C) → (B, T, C). */
    public Tensor forward(Tensor x) {
        // The GELU kinds fuse the bias and the activation into the up-projection's node (one pass
        // over the (B, T, hidden) activations forward and one backward, with the bias gradient).
        Tensor h = switch (kind) {
            case GELU -> fc.forwardGelu(x); // (B, T, hidden)
            case GELU_TANH -> fc.forwardGeluTanh(x);
            case SWIGLU -> fc.forward(x).swiglu(up.forward(x)); // silu(gate)·up, one fused node
        };
        return proj.forward(h);
    }
}
