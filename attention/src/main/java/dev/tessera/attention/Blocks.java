package dev.tessera.attention;

import dev.tessera.core.Tensor;
import dev.tessera.nn.Module;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** An ordered stack of transformer blocks named "0", "1", ... (so parameters read {@code h.0.attn...}). */
public final class Blocks extends Module {
    private final List<TransformerBlock> blocks = new ArrayList<>();

    public Blocks(List<TransformerBlock> layers) {
        for (int i = 0; i < layers.size(); i++) {
            blocks.add(registerModule(Integer.toString(i), layers.get(i)));
        }
    }

    /** x (B, T, C) through every block → (B, T, C). */
    public Tensor forward(Tensor x, AttentionContext ctx) {
        for (TransformerBlock b : blocks) {
            x = b.forward(x, ctx);
        }
        return x;
    }

    public List<TransformerBlock> list() {
        return Collections.unmodifiableList(blocks);
    }
}
