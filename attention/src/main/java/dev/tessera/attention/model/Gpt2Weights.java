package dev.tessera.attention.model;

import dev.tessera.core.Rng;
import dev.tessera.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GPT-2 checkpoints in the Hugging Face safetensors layout: {@code wte.weight} (V, C),
 * {@code wpe.weight} (P, C), {@code h.{i}.ln_1.{weight,bias}}, {@code h.{i}.attn.c_attn.{weight,bias}}
 * (C, 3C) input-major ({@code Conv1D}), {@code h.{i}.attn.c_proj} (C, C), {@code h.{i}.ln_2},
 * {@code h.{i}.mlp.c_fc} (C, 4C), {@code h.{i}.mlp.c_proj} (4C, C), {@code ln_f}. Tessera's
 * {@link GptModel} uses exactly these names and layouts, so no tensor is transposed.
 *
 * <p>Reading accepts the {@code transformer.} prefix of {@code GPT2LMHeadModel} exports, ignores
 * the causal-mask buffers ({@code attn.bias}, {@code attn.masked_bias}) older exports carry, and
 * accepts {@code lm_head.weight} only when it equals {@code wte.weight} (the head is tied). Any
 * other missing or unexpected name, or a shape mismatch, is an error naming it. Values are cast to
 * the model's dtype (F16/BF16/F32/F64 files all load). This reads one weights file for a
 * configuration the caller gives; whole Hugging Face directories (config.json, shards,
 * tokenizer) load through {@link dev.tessera.attention.model.hf.HfModels}.
 */
public final class Gpt2Weights {
    private static final Logger LOG = LoggerFactory.getLogger(Gpt2Weights.class);
    private static final String PREFIX = "transformer.";

    private Gpt2Weights() {}

    /** Builds a model for {@code config} and loads the checkpoint into it. */
    public static GptModel load(Path path, GptConfig config, DataType dtype) throws IOException {
        GptModel model = new GptModel(config, new Rng(0), dtype);
        loadInto(model, SafeTensors.read(path).tensors());
        return model;
    }

    /** Loads Hugging Face GPT-2 tensors into {@code model} (see the class comment for what is accepted). */
    public static void loadInto(GptModel model, Map<String, INDArray> tensors) {
        Map<String, INDArray> state = new LinkedHashMap<>();
        INDArray lmHead = null;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            String name = e.getKey().startsWith(PREFIX) ? e.getKey().substring(PREFIX.length()) : e.getKey();
            if (name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias")) {
                continue; // causal-mask buffers, not parameters
            }
            if (name.equals("lm_head.weight")) {
                lmHead = e.getValue();
                continue;
            }
            if (state.put(name, e.getValue()) != null) {
                throw new IllegalArgumentException("checkpoint has '" + name + "' both with and without the '"
                        + PREFIX + "' prefix");
            }
        }
        if (lmHead != null) {
            INDArray wte = state.get("wte.weight");
            if (wte == null || !Arrays.equals(wte.shape(), lmHead.shape())
                    || !wte.castTo(DataType.DOUBLE).equalsWithEps(lmHead.castTo(DataType.DOUBLE), 0.0)) {
                throw new IllegalArgumentException("lm_head.weight differs from wte.weight, but GPT-2's head is tied "
                        + "to the token embedding; this checkpoint is not a tied GPT-2");
            }
        }
        List<String> report = model.loadStateDict(state, true);
        LOG.debug("loaded {} GPT-2 tensors ({} ignored)", state.size(), report.size());
    }

    /**
     * Writes {@code model} in the Hugging Face layout (no prefix, no {@code lm_head}: tied), with
     * metadata {@code format=pt}, atomically. Tensors keep the model's dtype.
     */
    public static void save(GptModel model, Path path) throws IOException {
        SafeTensors.write(path, model.stateDict(), Map.of("format", "pt"));
    }
}
