package dev.tessera.attention.model.hf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.attention.model.GptConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GPT-2 in the Hugging Face layout ({@code model_type: "gpt2"}, {@code GPT2LMHeadModel}). Tessera's
 * {@link dev.tessera.attention.model.GptModel} uses the {@code GPT2Model} tensor names and
 * {@code Conv1D}'s (in, out) weight layout, so no tensor is renamed or transposed; files may
 * carry the {@code transformer.} prefix of {@code GPT2LMHeadModel}, the causal-mask buffers
 * {@code attn.bias}/{@code attn.masked_bias}, and a {@code lm_head.weight} equal to {@code wte}.
 */
final class Gpt2Hf implements WeightLayout {
    private static final Logger LOG = LoggerFactory.getLogger(Gpt2Hf.class);
    static final String MODEL_TYPE = "gpt2";
    static final String ARCHITECTURE = "GPT2LMHeadModel";
    private static final String PREFIX = "transformer.";

    static final Gpt2Hf LAYOUT = new Gpt2Hf();

    private Gpt2Hf() {}

    /**
     * Reads {@code n_embd}, {@code n_layer}, {@code n_head}, {@code n_positions},
     * {@code vocab_size}, {@code layer_norm_epsilon} (default 1e-5) and the dropout
     * {@code resid_pdrop} (default 0.1; used in training only), and refuses settings that
     * change the computation in ways Tessera's GPT-2 does not: another activation, an inner
     * width other than 4C, attention scaled by the layer index, unscaled attention, cross-attention.
     */
    static GptConfig readConfig(HfJson c) throws HfFormatException {
        int nEmbd = c.requiredPositiveInt("n_embd");
        int nLayer = c.requiredPositiveInt("n_layer");
        int nHead = c.requiredPositiveInt("n_head");
        int nPositions = c.requiredPositiveInt("n_positions");
        int vocab = c.requiredPositiveInt("vocab_size");
        double eps = c.optionalDouble("layer_norm_epsilon", 1e-5);
        String act = c.optionalString("activation_function");
        if (act != null && !act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw new HfFormatException(c.file() + ": key 'activation_function' is \"" + act + "\" but Tessera's GPT-2 "
                    + "uses the tanh GELU (\"gelu_new\" or \"gelu_pytorch_tanh\")");
        }
        if (c.has("n_inner") && c.optionalInt("n_inner", 0) != 4 * nEmbd) {
            throw new HfFormatException(c.file() + ": key 'n_inner' is " + c.get("n_inner") + " but Tessera's GPT-2 MLP "
                    + "is 4 * n_embd = " + 4 * nEmbd + " wide");
        }
        c.requireAbsentOr("scale_attn_by_inverse_layer_idx", false, "attention scores are scaled by 1/sqrt(head size) only");
        c.requireAbsentOr("scale_attn_weights", true, "attention scores are scaled by 1/sqrt(head size)");
        c.requireAbsentOr("add_cross_attention", false, "GPT-2 is a decoder without cross-attention here");
        c.requireAbsentOr("tie_word_embeddings", true, "GPT-2's LM head is the token embedding");
        double dropout = c.optionalDouble("resid_pdrop", 0.1);
        for (String key : new String[] {"embd_pdrop", "attn_pdrop"}) {
            if (c.has(key) && c.optionalDouble(key, dropout) != dropout) {
                LOG.warn("{}: '{}' is {} but Tessera's GPT-2 uses one dropout rate; training will use resid_pdrop = {}",
                        c.file(), key, c.get(key), dropout);
            }
        }
        if (nEmbd % nHead != 0) {
            throw new HfFormatException(c.file() + ": 'n_embd' (" + nEmbd + ") must be divisible by 'n_head' (" + nHead + ")");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new HfFormatException(c.file() + ": key 'resid_pdrop' must be in [0, 1) but was " + dropout);
        }
        if (!(eps > 0)) {
            throw new HfFormatException(c.file() + ": key 'layer_norm_epsilon' must be > 0 but was " + eps);
        }
        return new GptConfig(vocab, nPositions, nEmbd, nLayer, nHead, dropout, eps);
    }

    /** The {@code config.json} a {@code GPT2LMHeadModel} of this configuration has. */
    static ObjectNode writeConfig(GptConfig g, DataType dtype) {
        ObjectNode c = HfJson.MAPPER.createObjectNode();
        c.putArray("architectures").add(ARCHITECTURE);
        c.put("model_type", MODEL_TYPE);
        c.put("activation_function", "gelu_new");
        c.put("vocab_size", g.vocabSize());
        c.put("n_positions", g.contextLength());
        c.put("n_ctx", g.contextLength());
        c.put("n_embd", g.nEmbd());
        c.put("n_layer", g.nLayer());
        c.put("n_head", g.nHead());
        c.putNull("n_inner");
        c.put("layer_norm_epsilon", g.layerNormEps());
        c.put("resid_pdrop", g.dropout());
        c.put("embd_pdrop", g.dropout());
        c.put("attn_pdrop", g.dropout());
        c.put("scale_attn_weights", true);
        c.put("scale_attn_by_inverse_layer_idx", false);
        c.put("tie_word_embeddings", true);
        c.put("torch_dtype", HfModels.torchDtype(dtype));
        return c;
    }

    @Override
    public HfTensor toHf(String tesseraName) {
        return new HfTensor(tesseraName, false); // same names, Conv1D (in, out) = Tessera's layout
    }

    @Override
    public String canonical(String fileName) {
        String name = fileName.startsWith(PREFIX) ? fileName.substring(PREFIX.length()) : fileName;
        if (name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias")) {
            return null; // causal-mask buffers, not parameters
        }
        return name;
    }

    @Override
    public String embeddingName() {
        return "wte.weight";
    }

    @Override
    public String architecture() {
        return "GPT-2";
    }
}
