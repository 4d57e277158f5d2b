package dev.tessera.attention.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.attention.model.DecoderModel;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.attention.model.LlamaConfig;
import dev.tessera.attention.model.LlamaModel;
import dev.tessera.core.Rng;
import dev.tessera.tokenizer.Tokenizer;
import dev.tessera.tokenizer.TokenizerJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads and saves Hugging Face model directories: GPT-2 ({@code model_type} {@code gpt2}) as
 * {@link GptModel}, Llama, Mistral and Qwen2 ({@code llama}, {@code mistral}, {@code qwen2}) as
 * {@link LlamaModel}.
 *
 * <p>A directory holds {@code config.json}, the weights as {@code model.safetensors} or as shards
 * listed in {@code model.safetensors.index.json} (read lazily, one memory-mapped tensor at a time;
 * F16, BF16, F32 and F64 are cast to the requested dtype), and optionally {@code tokenizer.json}
 * (read by {@link TokenizerJson}; a kind it does not support fails with its error),
 * {@code generation_config.json} and {@code tokenizer_config.json} (special token ids, see
 * {@link HfSpecialTokens}). Models come back in eval mode, as {@code from_pretrained} returns them.
 *
 * <p>Every mismatch is an {@link HfFormatException} naming the file and the key or tensor: a
 * missing or invalid {@code config.json} key, a setting Tessera's blocks do not compute (for
 * example Llama's {@code attention_bias}, other activations, RoPE scalings other than linear and
 * llama3, Qwen2's per-layer sliding window), and missing, unexpected or wrongly shaped tensors.
 *
 * <pre>{@code
 * HfModel<LlamaModel> m = HfModels.loadLlama(Path.of("Llama-3.2-1B"), DataType.FLOAT);
 * Tensor logits = m.model().forward(ids);                       // (B, T, V)
 * HfModels.save(m.model(), m.specialTokens(), out, 2L << 30);   // 2 GiB shards
 * }</pre>
 */
public final class HfModels {
    private static final Logger LOG = LoggerFactory.getLogger(HfModels.class);
    private static final String CONFIG = "config.json";

    private HfModels() {}

    /** Loads a GPT-2 or Llama-family directory, choosing by {@code model_type} (or {@code architectures}). */
    public static HfModel<? extends DecoderModel> load(Path dir, DataType dtype) throws IOException {
        HfJson config = readConfig(dir);
        String type = modelType(config);
        return type.equals(Gpt2Hf.MODEL_TYPE) ? loadGpt2(dir, config, dtype) : loadLlama(dir, config, type, dtype);
    }

    /** Loads a GPT-2 directory ({@code model_type} {@code gpt2}). */
    public static HfModel<GptModel> loadGpt2(Path dir, DataType dtype) throws IOException {
        HfJson config = readConfig(dir);
        String type = modelType(config);
        if (!type.equals(Gpt2Hf.MODEL_TYPE)) {
            throw new HfFormatException(config.file() + ": model_type is \"" + type + "\", not a GPT-2 (\"gpt2\")");
        }
        return loadGpt2(dir, config, dtype);
    }

    /** Loads a Llama, Mistral or Qwen2 directory ({@code model_type} {@code llama}, {@code mistral}, {@code qwen2}). */
    public static HfModel<LlamaModel> loadLlama(Path dir, DataType dtype) throws IOException {
        HfJson config = readConfig(dir);
        String type = modelType(config);
        if (type.equals(Gpt2Hf.MODEL_TYPE)) {
            throw new HfFormatException(config.file() + ": model_type is \"gpt2\", not a Llama-family model");
        }
        return loadLlama(dir, config, type, dtype);
    }

    private static HfModel<GptModel> loadGpt2(Path dir, HfJson config, DataType dtype) throws IOException {
        GptConfig c = Gpt2Hf.readConfig(config);
        GptModel model = new GptModel(c, new Rng(0), checkDtype(dtype));
        return finish(dir, config, Gpt2Hf.MODEL_TYPE, model, Gpt2Hf.LAYOUT, true);
    }

    private static HfModel<LlamaModel> loadLlama(Path dir, HfJson config, String type, DataType dtype)
            throws IOException {
        LlamaConfig c = LlamaHf.readConfig(config, type);
        LlamaModel model = new LlamaModel(c, new Rng(0), checkDtype(dtype));
        return finish(dir, config, type, model, LlamaHf.LAYOUT, c.tieEmbeddings());
    }

    private static <M extends DecoderModel> HfModel<M> finish(Path dir, HfJson config, String type, M model,
            WeightLayout layout, boolean tied) throws IOException {
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            HfWeights.load(model, ckpt, layout, tied, dir);
        }
        model.eval();
        Path tokFile = dir.resolve("tokenizer.json");
        Tokenizer tokenizer = Files.isRegularFile(tokFile) ? TokenizerJson.read(tokFile) : null;
        if (tokenizer != null && tokenizer.vocabSize() > model.vocabSize()) {
            throw new HfFormatException(tokFile + ": the tokenizer has " + tokenizer.vocabSize() + " ids but config.json's "
                    + "vocab_size is " + model.vocabSize());
        }
        HfSpecialTokens special = HfSpecialTokens.read(dir, config, tokenizer, model.vocabSize());
        LOG.info("loaded {} from {}: {} parameters, {}", type, dir, model.parameterCount(), model.dtype());
        return new HfModel<>(model, type, special, Optional.ofNullable(tokenizer), dir);
    }

    /** Saves in the Hugging Face layout as one {@code model.safetensors}, without special tokens. */
    public static void save(DecoderModel model, Path dir) throws IOException {
        save(model, HfSpecialTokens.none(), dir, Long.MAX_VALUE);
    }

    /**
     * Saves {@code model} in the Hugging Face layout: {@code config.json}, the weights in the
     * model's dtype (sharded above {@code maxShardBytes}), and, when {@code special} declares any
     * id, {@code generation_config.json} (the ids also go into {@code config.json}). Tokenizer
     * files are not written: copy them from the source directory. All files appear together
     * (see {@link HfDirectoryWriter}); loading the directory gives back bit-identical weights.
     *
     * @param maxShardBytes the largest shard; {@link Long#MAX_VALUE} for a single file
     */
    public static void save(DecoderModel model, HfSpecialTokens special, Path dir, long maxShardBytes)
            throws IOException {
        ObjectNode config;
        WeightLayout layout;
        if (model instanceof GptModel g) {
            config = Gpt2Hf.writeConfig(g.config(), model.dtype());
            layout = Gpt2Hf.LAYOUT;
        } else if (model instanceof LlamaModel l) {
            config = LlamaHf.writeConfig(l.config(), model.dtype());
            layout = LlamaHf.LAYOUT;
        } else {
            throw new IllegalArgumentException("model must be a GptModel or a LlamaModel but was "
                    + model.getClass().getName());
        }
        Map<String, JsonNode> json = new LinkedHashMap<>();
        ObjectNode generation = HfJson.MAPPER.createObjectNode();
        special.bosTokenId().ifPresent(id -> generation.put("bos_token_id", id));
        if (special.eosTokenIds().size() == 1) {
            generation.put("eos_token_id", special.eosTokenIds().get(0));
        } else if (!special.eosTokenIds().isEmpty()) {
            special.eosTokenIds().forEach(generation.putArray("eos_token_id")::add);
        }
        special.padTokenId().ifPresent(id -> generation.put("pad_token_id", id));
        config.setAll(generation);
        if (!generation.isEmpty()) {
            json.put("generation_config.json", generation);
        }
        json.put(CONFIG, config); // last: a reader that finds the new config.json finds the new weights
        HfDirectoryWriter.write(dir, HfWeights.toHf(model, layout), json, maxShardBytes);
    }

    /** {@code config.json}'s {@code torch_dtype} for a model dtype. */
    static String torchDtype(DataType dtype) {
        return dtype == DataType.DOUBLE ? "float64" : "float32";
    }

    private static DataType checkDtype(DataType dtype) {
        if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
            throw new IllegalArgumentException("dtype must be FLOAT or DOUBLE but was " + dtype);
        }
        return dtype;
    }

    private static HfJson readConfig(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new HfFormatException(dir + ": not a directory (a Hugging Face model directory was expected)");
        }
        Path file = dir.resolve(CONFIG);
        if (!Files.isRegularFile(file)) {
            throw new HfFormatException(dir + ": missing " + CONFIG);
        }
        return HfJson.read(file);
    }

    /** {@code model_type}, or the type implied by the first of {@code architectures}. */
    private static String modelType(HfJson c) throws HfFormatException {
        String type = c.optionalString("model_type");
        if (type == null) {
            JsonNode arch = c.get("architectures");
            String first = arch != null && arch.isArray() && arch.size() > 0 ? arch.get(0).asText() : null;
            if (first == null) {
                throw new HfFormatException(c.file() + ": missing required key 'model_type' (and no 'architectures')");
            }
            type = switch (first) {
                case Gpt2Hf.ARCHITECTURE -> Gpt2Hf.MODEL_TYPE;
                case "LlamaForCausalLM" -> "llama";
                case "MistralForCausalLM" -> "mistral";
                case "Qwen2ForCausalLM" -> "qwen2";
                default -> throw new HfFormatException(c.file() + ": architecture '" + first + "' is not supported "
                        + "(GPT2LMHeadModel, LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)");
            };
        }
        switch (type) {
            case Gpt2Hf.MODEL_TYPE:
            case "llama":
            case "mistral":
            case "qwen2":
                return type;
            default:
                throw new HfFormatException(c.file() + ": model_type \"" + type + "\" is not supported (\"gpt2\", "
                        + "\"llama\", \"mistral\", \"qwen2\")");
        }
    }
}
