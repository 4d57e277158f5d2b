package dev.tessera.attention.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.attention.RopeConfig;
import dev.tessera.attention.RopeScaling;
import dev.tessera.attention.model.LlamaConfig;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Llama-family models in the Hugging Face layout ({@code LlamaForCausalLM}, {@code MistralForCausalLM},
 * {@code Qwen2ForCausalLM}, whose q/k/v projections also have {@code .bias} vectors):
 * {@code model.embed_tokens}, {@code model.layers.{i}.input_layernorm},
 * {@code model.layers.{i}.self_attn.{q,k,v,o}_proj}, {@code model.layers.{i}.post_attention_layernorm},
 * {@code model.layers.{i}.mlp.{gate,up,down}_proj}, {@code model.norm}, {@code lm_head}. The
 * projections are {@code nn.Linear} weights stored (out, in) and are transposed into Tessera's
 * (in, out). Hugging Face's q/k projections produce the rotate-half RoPE layout (the two halves
 * of each head rotate together), which is the layout of Tessera's {@link dev.tessera.attention.Rope},
 * so no row permutation is needed (Meta's original checkpoints, which interleave pairs, are not
 * this format).
 */
final class LlamaHf implements WeightLayout {
    static final LlamaHf LAYOUT = new LlamaHf();
    private static final Pattern LAYER = Pattern.compile("layers\\.(\\d+)\\.(.+)");

    private LlamaHf() {}

    /**
     * Reads a {@code llama}, {@code mistral} or {@code qwen2} {@code config.json}: {@code hidden_size},
     * {@code num_hidden_layers}, {@code num_attention_heads}, {@code num_key_value_heads}
     * (default: the heads), {@code intermediate_size}, {@code rms_norm_eps},
     * {@code vocab_size}, {@code max_position_embeddings}, {@code rope_theta} (default 10000),
     * {@code rope_scaling} (none, {@code linear} or {@code llama3}), {@code tie_word_embeddings}
     * (default false) and Mistral's {@code sliding_window} (null: full attention); Qwen2 has
     * q/k/v biases and full attention ({@code use_sliding_window: true} is refused: Qwen2 applies
     * the window to some layers only). Refuses what
     * Tessera's Llama blocks do not compute: another activation than SiLU, attention or MLP
     * biases, a {@code head_dim} other than hidden_size / heads, other RoPE scalings.
     */
    static LlamaConfig readConfig(HfJson c, String modelType) throws HfFormatException {
        int hidden = c.requiredPositiveInt("hidden_size");
        int layers = c.requiredPositiveInt("num_hidden_layers");
        int heads = c.requiredPositiveInt("num_attention_heads");
        int kvHeads = c.positiveInt("num_key_value_heads", heads);
        int intermediate = c.requiredPositiveInt("intermediate_size");
        int vocab = c.requiredPositiveInt("vocab_size");
        int context = c.requiredPositiveInt("max_position_embeddings");
        double eps = c.requiredDouble("rms_norm_eps");
        double theta = c.optionalDouble("rope_theta", 10_000);
        boolean tied = c.optionalBoolean("tie_word_embeddings", false);
        c.requireAbsentOr("hidden_act", "silu", "the MLP is SwiGLU: down(silu(gate(x)) * up(x))");
        c.requireAbsentOr("attention_bias", false, "the attention projections have no bias");
        c.requireAbsentOr("mlp_bias", false, "the MLP projections have no bias");
        if (hidden % heads != 0) {
            throw new HfFormatException(c.file() + ": 'hidden_size' (" + hidden + ") must be divisible by "
                    + "'num_attention_heads' (" + heads + ")");
        }
        c.requireAbsentOr("head_dim", hidden / heads, "the head size is hidden_size / num_attention_heads");
        if ((hidden / heads) % 2 != 0) {
            throw new HfFormatException(c.file() + ": the head size hidden_size / num_attention_heads = " + hidden / heads
                    + " must be even for RoPE");
        }
        if (heads % kvHeads != 0) {
            throw new HfFormatException(c.file() + ": 'num_key_value_heads' (" + kvHeads + ") must divide "
                    + "'num_attention_heads' (" + heads + ")");
        }
        if (!(eps > 0)) {
            throw new HfFormatException(c.file() + ": key 'rms_norm_eps' must be > 0 but was " + eps);
        }
        if (!(theta > 1) || Double.isInfinite(theta)) {
            throw new HfFormatException(c.file() + ": key 'rope_theta' must be finite and > 1 but was " + theta);
        }
        int window = 0;
        boolean qwen2 = modelType.equals("qwen2");
        if (modelType.equals("mistral")) {
            window = c.has("sliding_window") ? c.requiredPositiveInt("sliding_window") : 0; // null: full attention
        } else if (qwen2) {
            c.requireAbsentOr("use_sliding_window", false, "Qwen2's window covers only the layers from "
                    + "max_window_layers on; Tessera's windows apply to every layer"); // sliding_window is then unused
        } else if (c.has("sliding_window")) {
            throw new HfFormatException(c.file() + ": key 'sliding_window' is set but a '" + modelType
                    + "' model attends to the full context; only model_type \"mistral\" has a sliding window here");
        }
        RopeConfig rope = readRope(c, theta);
        return new LlamaConfig(vocab, context, hidden, layers, heads, kvHeads, intermediate, eps, rope, window, tied, qwen2);
    }

    private static RopeConfig readRope(HfJson c, double theta) throws HfFormatException {
        JsonNode s = c.get("rope_scaling");
        if (s == null || s.isNull()) {
            return new RopeConfig(theta, RopeScaling.NONE, 1);
        }
        if (!s.isObject()) {
            throw new HfFormatException(c.file() + ": key 'rope_scaling' must be an object or null but was " + s);
        }
        JsonNode typeNode = s.hasNonNull("rope_type") ? s.get("rope_type") : s.get("type");
        String type = typeNode == null ? null : typeNode.asText();
        if (type == null || type.equals("default")) {
            return new RopeConfig(theta, RopeScaling.NONE, 1);
        }
        double factor = HfJson.doubleValue(c.file(), "rope_scaling.factor", s.get("factor"));
        if (!(factor >= 1) || Double.isInfinite(factor)) {
            throw new HfFormatException(c.file() + ": key 'rope_scaling.factor' must be finite and >= 1 but was " + factor);
        }
        switch (type) {
            case "linear":
                return new RopeConfig(theta, RopeScaling.LINEAR, factor);
            case "llama3": {
                double low = HfJson.doubleValue(c.file(), "rope_scaling.low_freq_factor", s.get("low_freq_factor"));
                double high = HfJson.doubleValue(c.file(), "rope_scaling.high_freq_factor", s.get("high_freq_factor"));
                JsonNode orig = s.get("original_max_position_embeddings");
                if (orig == null || !orig.isIntegralNumber() || !orig.canConvertToInt() || orig.intValue() <= 0) {
                    throw new HfFormatException(c.file() + ": key 'rope_scaling.original_max_position_embeddings' must be "
                            + "a positive integer but was " + orig);
                }
                if (!(low > 0) || !(high > low)) {
                    throw new HfFormatException(c.file() + ": rope_scaling needs 0 < low_freq_factor < high_freq_factor but "
                            + "has " + low + " and " + high);
                }
                return RopeConfig.llama3(theta, factor, low, high, orig.intValue());
            }
            default:
                throw new HfFormatException(c.file() + ": key 'rope_scaling' has type \"" + type + "\" but Tessera "
                        + "supports only \"default\", \"linear\" and \"llama3\"");
        }
    }

    /**
     * The {@code config.json} of this configuration: {@code qwen2} with q/k/v biases, {@code mistral}
     * with a sliding window, {@code llama} otherwise.
     */
    static ObjectNode writeConfig(LlamaConfig l, DataType dtype) throws HfFormatException {
        boolean mistral = l.window() > 0;
        if (mistral && l.qkvBias()) {
            throw new HfFormatException("a model with q/k/v biases (Qwen2) and a sliding window on every layer has no "
                    + "Hugging Face equivalent; cannot save it");
        }
        ObjectNode c = HfJson.MAPPER.createObjectNode();
        String type = l.qkvBias() ? "qwen2" : mistral ? "mistral" : "llama";
        c.putArray("architectures").add(l.qkvBias() ? "Qwen2ForCausalLM" : mistral ? "MistralForCausalLM"
                : "LlamaForCausalLM");
        c.put("model_type", type);
        c.put("vocab_size", l.vocabSize());
        c.put("hidden_size", l.nEmbd());
        c.put("intermediate_size", l.intermediateSize());
        c.put("num_hidden_layers", l.nLayer());
        c.put("num_attention_heads", l.nHead());
        c.put("num_key_value_heads", l.nKvHead());
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", l.contextLength());
        c.put("rms_norm_eps", l.rmsNormEps());
        c.put("rope_theta", l.rope().base());
        RopeConfig r = l.rope();
        switch (r.scaling()) {
            case NONE:
                c.putNull("rope_scaling");
                break;
            case LINEAR:
                c.putObject("rope_scaling").put("rope_type", "linear").put("factor", r.factor());
                break;
            case LLAMA3:
                c.putObject("rope_scaling").put("rope_type", "llama3").put("factor", r.factor())
                        .put("low_freq_factor", r.lowFreqFactor()).put("high_freq_factor", r.highFreqFactor())
                        .put("original_max_position_embeddings", r.originalContextLength());
                break;
            default:
                throw new HfFormatException("rope scaling " + r.scaling() + " has no Hugging Face equivalent (HF's "
                        + "\"dynamic\" NTK scaling depends on the sequence length); cannot save this model");
        }
        if (mistral) {
            c.put("sliding_window", l.window());
        }
        if (l.qkvBias()) {
            c.put("use_sliding_window", false);
        } else {
            c.put("attention_bias", false);
            c.put("mlp_bias", false);
        }
        c.put("tie_word_embeddings", l.tieEmbeddings());
        c.put("torch_dtype", HfModels.torchDtype(dtype));
        return c;
    }

    @Override
    public HfTensor toHf(String t) {
        switch (t) {
            case "embed_tokens.weight":
                return new HfTensor("model.embed_tokens.weight", false);
            case "norm.weight":
                return new HfTensor("model.norm.weight", false);
            case "lm_head.weight":
                return new HfTensor("lm_head.weight", true);
            default:
                break;
        }
        Matcher m = LAYER.matcher(t);
        if (!m.matches()) {
            throw new IllegalStateException("no Hugging Face name for Llama parameter '" + t + "'");
        }
        String p = "model.layers." + m.group(1) + ".";
        String rest = m.group(2);
        switch (rest) {
            case "ln_1.weight":
                return new HfTensor(p + "input_layernorm.weight", false);
            case "ln_2.weight":
                return new HfTensor(p + "post_attention_layernorm.weight", false);
            case "attn.q_proj.weight":
            case "attn.k_proj.weight":
            case "attn.v_proj.weight":
            case "attn.o_proj.weight":
                return new HfTensor(p + "self_attn." + rest.substring("attn.".length()), true);
            case "attn.q_proj.bias":
            case "attn.k_proj.bias":
            case "attn.v_proj.bias":
                return new HfTensor(p + "self_attn." + rest.substring("attn.".length()), false);
            case "mlp.gate_proj.weight":
            case "mlp.up_proj.weight":
            case "mlp.down_proj.weight":
                return new HfTensor(p + rest, true);
            default:
                throw new IllegalStateException("no Hugging Face name for Llama parameter '" + t + "'");
        }
    }

    @Override
    public String canonical(String fileName) {
        return fileName.endsWith(".self_attn.rotary_emb.inv_freq") ? null : fileName; // a buffer of older exports
    }

    @Override
    public String embeddingName() {
        return "model.embed_tokens.weight";
    }

    @Override
    public String architecture() {
        return "Llama";
    }
}
