package dev.tessera.attention.model.hf;

import dev.tessera.attention.model.DecoderModel;
import dev.tessera.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model loaded from a Hugging Face directory, in eval mode (dropout off).
 *
 * @param model the model with the directory's weights
 * @param modelType {@code config.json}'s {@code model_type} ("gpt2", "llama", "mistral")
 * @param specialTokens bos/eos/pad ids from {@code generation_config.json}, {@code config.json} and
 *     {@code tokenizer_config.json}
 * @param tokenizer the {@code tokenizer.json} tokenizer, empty when the directory has none
 * @param directory where it was loaded from
 * @param <M> the model class ({@link dev.tessera.attention.model.GptModel} or
 *     {@link dev.tessera.attention.model.LlamaModel})
 */
public record HfModel<M extends DecoderModel>(M model, String modelType, HfSpecialTokens specialTokens,
        Optional<Tokenizer> tokenizer, Path directory) {
    public HfModel {
        if (model == null || modelType == null || specialTokens == null || tokenizer == null || directory == null) {
            throw new IllegalArgumentException("model, modelType, specialTokens, tokenizer and directory must not be null "
                    + "(tokenizer: Optional.empty() when there is none)");
        }
    }
}
