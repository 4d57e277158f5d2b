package dev.tessera.attention;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Parameter;
import dev.tessera.testing.GradCheck;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TransformerBlockTest {
    private static final INDArray POS = Nd4j.createFromArray(new long[][] {{0, 1, 2}, {0, 0, 1}});
    private static final INDArray MASK = Nd4j.createFromArray(new float[][] {{1, 1, 1}, {0, 1, 1}});

    private static void check(String name, BlockConfig c) {
        check(name, c, true);
    }

    /** With {@code all}, every parameter; otherwise the input and the attention's parameters (the MLP and norms are checked elsewhere). */
    private static void check(String name, BlockConfig c, boolean all) {
        TransformerBlock block = new TransformerBlock(c, 0, 2, new Rng(1), DataType.DOUBLE);
        for (Parameter p : block.parameters()) {
            p.data().addi(new Rng(p.data().length()).normal(DataType.DOUBLE, 0, 0.2, p.shape()));
        }
        Tensor x = GradCheck.randomVariable(new Rng(2), 2, 3, 4);
        AttentionContext ctx = new AttentionContext(POS, MASK, null, 0);
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(x);
        block.namedParameters().forEach((n, p) -> {
            if (all || n.startsWith("attn.")) {
                inputs.add(p);
            }
        });
        GradCheck.check(name, in -> block.forward(in[0], ctx), inputs.toArray(new Tensor[0]));
    }

    private static AttentionConfig attn(int hkv, boolean fused, PositionEncoding pos, int window, boolean causal) {
        return new AttentionConfig(4, 2, hkv, fused, true, pos, pos == PositionEncoding.ROPE ? RopeConfig.standard() : null,
                window, causal, 0.0);
    }

    @Test
    void preLnGeluTanhFusedQkv() {
        check("gpt2-like", new BlockConfig(attn(2, true, PositionEncoding.ABSOLUTE, 0, true), NormKind.LAYER_NORM, 1e-5,
                true, MlpKind.GELU_TANH, 8, true, 0.0));
    }

    @Test
    void postLnExactGeluBidirectional() {
        check("bert-like", new BlockConfig(attn(2, false, PositionEncoding.ABSOLUTE, 0, false), NormKind.LAYER_NORM, 1e-5,
                false, MlpKind.GELU, 8, true, 0.0), false);
    }

    @Test
    void rmsNormSwigluMqaRope() {
        check("llama-like MQA", new BlockConfig(attn(1, false, PositionEncoding.ROPE, 0, true), NormKind.RMS_NORM, 1e-5,
                true, MlpKind.SWIGLU, 8, false, 0.0));
    }

    @Test
    void alibiAndSlidingWindowWithGqaInFusedQkv() {
        check("alibi", new BlockConfig(attn(1, true, PositionEncoding.ALIBI, 0, true), NormKind.LAYER_NORM, 1e-5, true,
                MlpKind.GELU, 8, true, 0.0), false);
        check("window", new BlockConfig(attn(2, true, PositionEncoding.ABSOLUTE, 2, true), NormKind.RMS_NORM, 1e-5, true,
                MlpKind.GELU, 8, true, 0.0), false);
    }

    @Test
    void residualDropoutOnlyInTraining() {
        BlockConfig c = new BlockConfig(new AttentionConfig(4, 2, 2, true, true, PositionEncoding.ABSOLUTE, null, 0, true,
                0.3), NormKind.LAYER_NORM, 1e-5, true, MlpKind.GELU_TANH, 8, true, 0.3);
        TransformerBlock block = new TransformerBlock(c, 0, 1, new Rng(3), DataType.DOUBLE);
        Tensor x = Tensor.constant(new Rng(4).normal(DataType.DOUBLE, 0, 1, 2, 3, 4));
        AttentionContext ctx = new AttentionContext(POS, null, null, 0);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            INDArray a = block.forward(x, ctx).data();
            INDArray b = block.forward(x, ctx).data();
            assertTrue(a.sub(b).amaxNumber().doubleValue() > 1e-6);
            block.eval();
            assertTrue(block.forward(x, ctx).data().equals(block.forward(x, ctx).data()));
        }
    }

    @Test
    void configsAreValidated() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> attn(3, true, PositionEncoding.ABSOLUTE, 0, true))
                .getMessage().contains("nKvHead"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new AttentionConfig(4, 2, 2, true, true,
                PositionEncoding.ROPE, null, 0, true, 0)).getMessage().contains("rope"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new BlockConfig(attn(2, true,
                PositionEncoding.ABSOLUTE, 0, true), NormKind.LAYER_NORM, 0, true, MlpKind.GELU, 8, true, 0))
                .getMessage().contains("normEps"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new BlockConfig(attn(2, true,
                PositionEncoding.ABSOLUTE, 0, true), NormKind.LAYER_NORM, 1e-5, true, MlpKind.GELU, 8, true, 1.0))
                .getMessage().contains("residDropout"));
    }
}
