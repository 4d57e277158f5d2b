package dev.tessera.attention.model.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tessera.attention.RopeScaling;
import dev.tessera.attention.model.DecoderModel;
import dev.tessera.attention.model.GptModel;
import dev.tessera.attention.model.LlamaModel;
import dev.tessera.core.Indexing;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.io.SafeTensors;
import dev.tessera.nn.Parameter;
import dev.tessera.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The tiny Hugging Face directories written by {@code attention/src/test/python/gen_hf_models.py}
 * (random weights, published GPT-2, Llama, Qwen2 and Mistral architectures in plain PyTorch) load through one call
 * and reproduce PyTorch's float64 logits, loss and gradients: to 1e-9 in float64, to 1e-4 in float32.
 */
class HfGoldenTest {

    static Path fixture(String name) throws Exception {
        return Path.of(HfGoldenTest.class.getResource("/hf/" + name + "/config.json").toURI()).getParent();
    }

    @Test
    void gpt2MatchesPyTorchInFloat64() throws Exception {
        HfModel<GptModel> m = HfModels.loadGpt2(fixture("gpt2-tiny"), DataType.DOUBLE);
        checkGolden(m.model(), Gpt2Hf.LAYOUT, fixture("gpt2-tiny"), 1e-9);
    }

    @Test
    void gpt2MatchesPyTorchInFloat32() throws Exception {
        HfModel<GptModel> m = HfModels.loadGpt2(fixture("gpt2-tiny"), DataType.FLOAT);
        checkGolden(m.model(), Gpt2Hf.LAYOUT, fixture("gpt2-tiny"), 1e-4);
    }

    @Test
    void llamaWithGqaAndLlama3RopeScalingMatchesPyTorchInFloat64() throws Exception {
        HfModel<LlamaModel> m = HfModels.loadLlama(fixture("llama-tiny"), DataType.DOUBLE);
        assertEquals(RopeScaling.LLAMA3, m.model().config().rope().scaling());
        assertEquals(2, m.model().config().nKvHead());
        assertEquals(4, m.model().config().nHead());
        checkGolden(m.model(), LlamaHf.LAYOUT, fixture("llama-tiny"), 1e-9);
    }

    @Test
    void llamaMatchesPyTorchInFloat32() throws Exception {
        HfModel<LlamaModel> m = HfModels.loadLlama(fixture("llama-tiny"), DataType.FLOAT);
        checkGolden(m.model(), LlamaHf.LAYOUT, fixture("llama-tiny"), 1e-4);
    }

    @Test
    void qwen2WithQkvBiasesSingleFileAndTiedHeadMatchesPyTorchInFloat64() throws Exception {
        HfModel<LlamaModel> m = HfModels.loadLlama(fixture("qwen2-tiny"), DataType.DOUBLE);
        assertEquals("qwen2", m.modelType());
        assertTrue(m.model().config().qkvBias());
        assertTrue(m.model().config().tieEmbeddings());
        assertEquals(1, m.model().config().nKvHead());
        checkGolden(m.model(), LlamaHf.LAYOUT, fixture("qwen2-tiny"), 1e-9);
    }

    @Test
    void qwen2MatchesPyTorchInFloat32() throws Exception {
        HfModel<LlamaModel> m = HfModels.loadLlama(fixture("qwen2-tiny"), DataType.FLOAT);
        checkGolden(m.model(), LlamaHf.LAYOUT, fixture("qwen2-tiny"), 1e-4);
    }

    @Test
    void mistralWithASlidingWindowShorterThanTheInputMatchesPyTorch() throws Exception {
        HfModel<LlamaModel> m = HfModels.loadLlama(fixture("mistral-tiny"), DataType.DOUBLE);
        assertEquals("mistral", m.modelType());
        assertEquals(3, m.model().config().window());
        checkGolden(m.model(), LlamaHf.LAYOUT, fixture("mistral-tiny"), 1e-9);
        // the window matters for this input: full attention gives other logits
        LlamaModel full = new LlamaModel(m.model().config().withWindow(0), new Rng(0), DataType.DOUBLE);
        full.loadStateDict(m.model().stateDict(), true);
        INDArray ids = SafeTensors.read(fixture("mistral-tiny").resolve("expected.safetensors")).tensors().get("ids")
                .castTo(DataType.INT);
        double diff = full.forward(ids).data().sub(m.model().forward(ids).data()).amaxNumber().doubleValue();
        assertTrue(diff > 1e-3, "window 3 and full attention differ by only " + diff);
        HfModel<LlamaModel> f32 = HfModels.loadLlama(fixture("mistral-tiny"), DataType.FLOAT);
        checkGolden(f32.model(), LlamaHf.LAYOUT, fixture("mistral-tiny"), 1e-4);
    }

    @Test
    void oneCallDispatchesOnModelTypeAndReturnsEvalModeModelsWithTheirTokens() throws Exception {
        HfModel<? extends DecoderModel> gpt = HfModels.load(fixture("gpt2-tiny"), DataType.FLOAT);
        assertTrue(gpt.model() instanceof GptModel);
        assertEquals("gpt2", gpt.modelType());
        assertFalse(gpt.model().isTraining(), "loaded in eval mode");
        assertEquals(0.1, ((GptModel) gpt.model()).config().dropout(), 0, "dropout kept for training");
        // config.json: bos/eos 0; tokenizer_config.json's pad_token "<|endoftext|>" looked up in tokenizer.json
        assertEquals(new HfSpecialTokens(OptionalInt.of(0), List.of(0), OptionalInt.of(0)), gpt.specialTokens());
        assertTrue(gpt.tokenizer().isPresent());

        HfModel<? extends DecoderModel> llama = HfModels.load(fixture("llama-tiny"), DataType.FLOAT);
        assertTrue(llama.model() instanceof LlamaModel);
        assertEquals("llama", llama.modelType());
        assertFalse(llama.model().isTraining(), "loaded in eval mode");
        // generation_config.json wins over config.json's eos_token_id 2
        assertEquals(new HfSpecialTokens(OptionalInt.of(1), List.of(2, 3), OptionalInt.of(0)), llama.specialTokens());
        assertTrue(llama.tokenizer().isEmpty());
    }

    @Test
    void tokenizerJsonEncodesAsHuggingFaceTokenizers() throws Exception {
        Tokenizer tok = HfModels.load(fixture("gpt2-tiny"), DataType.FLOAT).tokenizer().orElseThrow();
        JsonNode expected = HfJson.read(fixture("gpt2-tiny").resolve("tokenizer_expected.json")).root();
        assertEquals(280, tok.vocabSize());
        for (int i = 0; i < expected.get("text").size(); i++) {
            String text = expected.get("text").get(i).asText();
            JsonNode ids = expected.get("ids").get(i);
            int[] want = new int[ids.size()];
            for (int j = 0; j < want.length; j++) {
                want[j] = ids.get(j).asInt();
            }
            assertArrayEquals(want, tok.encode(text), text);
            assertEquals(text, tok.decode(want));
        }
    }

    /** Logits, loss and the listed gradients (in the Hugging Face layout) against expected.safetensors. */
    private static void checkGolden(DecoderModel model, WeightLayout layout, Path dir, double tol) throws Exception {
        Map<String, INDArray> golden = SafeTensors.read(dir.resolve("expected.safetensors")).tensors();
        INDArray ids = golden.get("ids").castTo(DataType.INT); // (B, T)
        model.zeroGrad();
        Tensor logits = model.forward(ids); // (B, T, V)
        assertClose("logits", golden.get("logits"), logits.data(), tol);
        Tensor loss = nextTokenLoss(logits, ids);
        assertEquals(golden.get("loss").getDouble(0), loss.item(), tol, "loss");
        loss.backward();
        Map<String, Parameter> byHfName = new HashMap<>();
        Map<String, Boolean> transposed = new HashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            HfTensor t = layout.toHf(e.getKey());
            byHfName.put(t.name(), e.getValue());
            transposed.put(t.name(), t.transposed());
        }
        int checked = 0;
        for (Map.Entry<String, INDArray> e : golden.entrySet()) {
            if (!e.getKey().startsWith("grad.")) {
                continue;
            }
            String name = e.getKey().substring("grad.".length());
            Parameter p = byHfName.get(name);
            INDArray got = transposed.get(name) ? p.grad().transpose() : p.grad();
            double scale = e.getValue().amaxNumber().doubleValue();
            assertTrue(scale > 0, name + ": the reference gradient is zero, so it checks nothing");
            assertClose("gradient of " + name, e.getValue(), got, tol * scale);
            checked++;
        }
        assertEquals(5, checked, "gradients checked");
    }

    static Tensor nextTokenLoss(Tensor logits, INDArray ids) {
        long t = logits.size(1);
        Tensor lp = logits.slice(1, 0, t - 1).logSoftmax(2); // (B, T-1, V)
        INDArray targets = ids.get(NDArrayIndex.all(), NDArrayIndex.interval(1, t)).dup('c').castTo(DataType.LONG);
        return Indexing.gatherLast(lp, targets).mean().neg();
    }

    static void assertClose(String what, INDArray expected, INDArray actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= tol, what + ": max abs difference " + diff + " > " + tol);
    }
}
