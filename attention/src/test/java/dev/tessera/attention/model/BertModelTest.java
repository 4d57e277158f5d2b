package dev.tessera.attention.model;

import static dev.tessera.attention.model.ModelTesting.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Parameter;
import dev.tessera.testing.GradCheck;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class BertModelTest {

    @Test
    void gradientCheckOfATinyModelWithPaddingAndTokenTypes() {
        BertModel model = new BertModel(new BertConfig(11, 8, 2, 4, 2, 2, 8, 0.0, 1e-12), new Rng(1), DataType.DOUBLE);
        Map<String, Parameter> p = model.namedParameters();
        for (Parameter x : model.parameters()) {
            x.data().addi(new Rng(x.data().length()).normal(DataType.DOUBLE, 0, 0.3, x.shape()));
        }
        INDArray ids = ModelTesting.ids(new int[][] {{1, 4, 9}, {3, 3, 10}});
        INDArray mask = Nd4j.createFromArray(new float[][] {{1, 1, 1}, {1, 1, 0}});
        INDArray types = ModelTesting.ids(new int[][] {{0, 0, 1}, {0, 1, 1}});
        // one parameter of most kinds, kept small: every forward here costs dozens of ND4J ops
        GradCheck.check("bert", in -> model.forward(ids, mask, types), p.get("position_embeddings.weight"),
                p.get("token_type_embeddings.weight"), p.get("emb_ln.weight"), p.get("layer.0.attn.q_proj.weight"),
                p.get("layer.0.attn.v_proj.bias"), p.get("layer.1.ln_1.bias"), p.get("layer.1.mlp.c_proj.bias"),
                p.get("mlm_dense.bias"), p.get("mlm_ln.weight"), p.get("mlm_bias"));
    }

    @Test
    void gradientCheckOfThePreLnRotaryVariantWithPadding() {
        BertConfig c = BertConfig.preLnRotary(11, 8, 4, 2, 2, 0.0);
        BertModel model = new BertModel(c, new Rng(5), DataType.DOUBLE);
        Map<String, Parameter> p = model.namedParameters();
        assertFalse(p.containsKey("position_embeddings.weight"), "rotary positions need no table");
        assertTrue(p.containsKey("final_ln.weight"), "pre-LN blocks end in a final LayerNorm");
        for (Parameter x : model.parameters()) {
            x.data().addi(new Rng(x.data().length()).normal(DataType.DOUBLE, 0, 0.3, x.shape()));
        }
        INDArray ids = ModelTesting.ids(new int[][] {{1, 4, 9}, {3, 3, 10}});
        INDArray mask = Nd4j.createFromArray(new float[][] {{1, 1, 1}, {1, 1, 0}});
        GradCheck.check("bert pre-LN rotary", in -> model.forward(ids, mask, null), p.get("word_embeddings.weight"),
                p.get("emb_ln.bias"), p.get("layer.0.attn.q_proj.weight"), p.get("layer.0.attn.k_proj.bias"),
                p.get("layer.1.ln_1.weight"), p.get("layer.1.mlp.c_fc.weight"), p.get("final_ln.weight"),
                p.get("final_ln.bias"), p.get("mlm_dense.weight"), p.get("mlm_bias"));
    }

    @Test
    void rotaryEncoderSeesOrderAndBothSides() {
        BertModel model = new BertModel(BertConfig.preLnRotary(64, 16, 16, 2, 2, 0.0), new Rng(6), DataType.DOUBLE);
        model.eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            INDArray a = model.encode(ModelTesting.ids(new int[][] {{5, 6, 7, 8}}), null, null).data();
            INDArray b = model.encode(ModelTesting.ids(new int[][] {{5, 6, 8, 7}}), null, null).data();
            INDArray c = model.encode(ModelTesting.ids(new int[][] {{5, 6, 7, 9}}), null, null).data();
            // with no position table only the rotation can tell the order of 7 and 8 apart
            double order = a.get(NDArrayIndex.point(0), NDArrayIndex.point(0), NDArrayIndex.all())
                    .sub(b.get(NDArrayIndex.point(0), NDArrayIndex.point(0), NDArrayIndex.all())).amaxNumber().doubleValue();
            assertTrue(order > 1e-6, "rotary positions make token 0's state depend on the order of later tokens: " + order);
            double ahead = a.get(NDArrayIndex.point(0), NDArrayIndex.point(0), NDArrayIndex.all())
                    .sub(c.get(NDArrayIndex.point(0), NDArrayIndex.point(0), NDArrayIndex.all())).amaxNumber().doubleValue();
            assertTrue(ahead > 1e-6, "bidirectional attention: " + ahead);
        }
    }

    @Test
    void dropoutGeneratorsAreNamedForCheckpoints() {
        BertModel model = new BertModel(new BertConfig(64, 16, 0, 16, 2, 2, 32, 0.1, 1e-12), new Rng(7), DataType.FLOAT);
        assertEquals(java.util.List.of("drop.rng", "layer.0.attn.dropout_rng", "layer.0.drop.rng",
                "layer.1.attn.dropout_rng", "layer.1.drop.rng"), java.util.List.copyOf(model.namedRngs().keySet()));
    }

    @Test
    void configRejectsPositionSchemesItCannotUse() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BertConfig(64, 32, 0, 18, 1, 2,
                32, 0.0, 1e-5, dev.tessera.attention.PositionEncoding.ROPE, true));
        assertTrue(e.getMessage().contains("even head size") && e.getMessage().contains("9"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BertConfig(64, 32, 0, 16, 1, 2, 32, 0.0, 1e-5,
                dev.tessera.attention.PositionEncoding.ALIBI, false));
        assertTrue(e.getMessage().contains("positions") && e.getMessage().contains("ALIBI"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BertConfig(64, 32, 0, 16, 1, 2, 32, 0.0, 1e-5,
                null, false));
        assertTrue(e.getMessage().contains("positions"), e.getMessage());
    }

    @Test
    void paddingIsInvisibleToRealTokens() {
        for (BertConfig config : new BertConfig[] {BertConfig.tiny(), BertConfig.preLnRotary(64, 32, 16, 2, 2, 0.0)}) {
            paddingIsInvisibleToRealTokens(new BertModel(config, new Rng(2), DataType.DOUBLE));
        }
    }

    private static void paddingIsInvisibleToRealTokens(BertModel model) {
        model.eval();
        int[][] seqs = {{5, 9, 2, 7, 1}, {3, 4}, {8, 8, 8, 1}};
        for (boolean left : new boolean[] {false, true}) {
            int[][] padded = new int[3][5];
            float[][] mask = new float[3][5];
            for (int i = 0; i < 3; i++) {
                int off = left ? 5 - seqs[i].length : 0;
                for (int j = 0; j < seqs[i].length; j++) {
                    padded[i][off + j] = seqs[i][j];
                    mask[i][off + j] = 1;
                }
            }
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                Tensor h = model.encode(ModelTesting.ids(padded), Nd4j.createFromArray(mask), null); // (3, 5, C)
                for (int i = 0; i < 3; i++) {
                    int off = left ? 5 - seqs[i].length : 0;
                    Tensor alone = model.encode(ModelTesting.ids(new int[][] {seqs[i]}), null, null);
                    assertClose("sequence " + i + (left ? " left" : " right"), alone.data().get(NDArrayIndex.point(0),
                            NDArrayIndex.all(), NDArrayIndex.all()), h.data().get(NDArrayIndex.point(i),
                            NDArrayIndex.interval(off, off + seqs[i].length), NDArrayIndex.all()), 1e-10);
                }
            }
        }
    }

    @Test
    void encoderIsBidirectionalAndTokenTypesMatter() {
        BertModel model = new BertModel(BertConfig.tiny(), new Rng(3), DataType.DOUBLE);
        model.eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            INDArray a = model.encode(ModelTesting.ids(new int[][] {{1, 2, 3}}), null, null).data();
            INDArray b = model.encode(ModelTesting.ids(new int[][] {{1, 2, 4}}), null, null).data();
            // changing the last token changes the first token's state: attention looks ahead
            double d = a.get(NDArrayIndex.point(0), NDArrayIndex.point(0), NDArrayIndex.all())
                    .sub(b.get(NDArrayIndex.point(0), NDArrayIndex.point(0), NDArrayIndex.all())).amaxNumber().doubleValue();
            assertTrue(d > 1e-6, "bidirectional attention");
            INDArray c = model.encode(ModelTesting.ids(new int[][] {{1, 2, 3}}), null,
                    ModelTesting.ids(new int[][] {{0, 1, 1}})).data();
            assertTrue(a.sub(c).amaxNumber().doubleValue() > 1e-6, "token types change the states");
            Tensor logits = model.forward(ModelTesting.ids(new int[][] {{1, 2, 3}}), null, null);
            assertEquals("[1, 3, 64]", Arrays.toString(logits.shape()));
        }
        BertModel noTypes = new BertModel(new BertConfig(64, 32, 0, 16, 1, 2, 32, 0.0, 1e-12), new Rng(4), DataType.FLOAT);
        assertFalse(noTypes.namedParameters().containsKey("token_type_embeddings.weight"));
        assertThrows(IllegalArgumentException.class, () -> noTypes.encode(ModelTesting.ids(new int[][] {{1}}), null,
                ModelTesting.ids(new int[][] {{0}})));
        assertThrows(IllegalArgumentException.class, () -> model.encode(ModelTesting.ids(new int[][] {{1, 2}}), null,
                ModelTesting.ids(new int[][] {{0}})));
        assertThrows(IllegalArgumentException.class, () -> new BertConfig(64, 32, -1, 16, 1, 2, 32, 0.0, 1e-12));
    }
}
