package dev.tessera.training.cli;

import dev.tessera.attention.AttentionConfig;
import dev.tessera.attention.AttentionContext;
import dev.tessera.attention.BlockConfig;
import dev.tessera.attention.Blocks;
import dev.tessera.attention.MlpKind;
import dev.tessera.attention.NormKind;
import dev.tessera.attention.PositionEncoding;
import dev.tessera.attention.TransformerBlock;
import dev.tessera.core.MatMul;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Embedding;
import dev.tessera.nn.LayerNorm;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A BERT-style masked-LM encoder composed from the attention module's blocks: token + learned
 * position embeddings, bidirectional (non-causal) blocks, BERT's MLM head (dense, GELU,
 * LayerNorm, then the tied embedding plus a bias). Blocks are pre-LN with a final LayerNorm
 * rather than BERT's post-LN: for the CLI's short from-scratch runs pre-LN trains stably at a
 * higher learning rate without a long warmup (Xiong et al. 2020).
 */
final class MlmEncoder extends Module {
    private final Embedding wte; // (V, C)
    private final Embedding wpe; // (P, C)
    private final Blocks h;
    private final LayerNorm lnF;
    private final Linear transform; // (C, C)
    private final LayerNorm lnHead;
    private final Parameter headBias; // (V)
    private final int nPositions;

    MlmEncoder(int vocab, int nPositions, int embd, int layers, int heads, double dropout, Rng rng, DataType dtype) {
        this.nPositions = nPositions;
        wte = registerModule("wte", new Embedding(vocab, embd, 0.02, rng, dtype));
        wpe = registerModule("wpe", new Embedding(nPositions, embd, 0.02, rng, dtype));
        BlockConfig block = new BlockConfig(new AttentionConfig(embd, heads, heads, true, true, PositionEncoding.ABSOLUTE,
                null, 0, false, dropout), NormKind.LAYER_NORM, 1e-5, true, MlpKind.GELU, 4 * embd, true, dropout);
        List<TransformerBlock> blocks = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            blocks.add(new TransformerBlock(block, i, layers, rng, dtype));
        }
        h = registerModule("h", new Blocks(blocks));
        lnF = registerModule("ln_f", new LayerNorm(embd, 1e-5, dtype));
        transform = registerModule("transform", new Linear(embd, embd, true, rng, dtype));
        lnHead = registerModule("ln_head", new LayerNorm(embd, 1e-5, dtype));
        headBias = registerParameter("head_bias", new Parameter(Nd4j.zeros(dtype, vocab)));
    }

    /** ids (B, T), attentionMask (B, T) or null → logits (B, T, V). */
    Tensor forward(INDArray ids, INDArray attentionMask) {
        int b = (int) ids.size(0);
        int t = (int) ids.size(1);
        if (t > nPositions) {
            throw new IllegalArgumentException("sequence length " + t + " exceeds the encoder's " + nPositions + " positions");
        }
        int[] pos = new int[b * t];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = i % t;
        }
        INDArray positions = Nd4j.createFromArray(pos).reshape('c', b, t); // (B, T): 0 .. T−1 in every row
        AttentionContext ctx = new AttentionContext(positions, attentionMask, null, 0);
        Tensor x = h.forward(wte.forward(ids).add(wpe.forward(positions)), ctx); // (B, T, C)
        Tensor y = lnHead.forward(transform.forward(lnF.forward(x)).gelu()); // (B, T, C)
        return MatMul.matmul(y, wte.weight().transpose(0, 1)).addBroadcast(headBias); // (B, T, V)
    }
}
