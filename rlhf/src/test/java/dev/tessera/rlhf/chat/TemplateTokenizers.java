package dev.tessera.rlhf.chat;

import dev.tessera.tokenizer.SplitPattern;
import dev.tessera.tokenizer.TiktokenEncoding;
import dev.tessera.tokenizer.Tokenizer;
import dev.tessera.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * cl100k_base's ranks with the special tokens of published chat models. Llama 3's first 100,256
 * tokens are cl100k_base's, so with Llama 3's special-token ids this encodes template text as
 * Llama 3 does; GPT-4's ChatML markers sit at 100264/100265.
 */
final class TemplateTokenizers {
    private TemplateTokenizers() {
    }

    static Tokenizer cl100kWith(Map<String, Integer> specials) {
        String resource = TiktokenEncoding.CL100K_BASE.resource();
        try (InputStream in = TemplateTokenizers.class.getClassLoader().getResourceAsStream(resource)) {
            return Tokenizers.fromTiktoken(in, resource, SplitPattern.CL100K, specials);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Tokenizer llama3() {
        return cl100kWith(Map.of("<|begin_of_text|>", 128000, "<|end_of_text|>", 128001, "<|start_header_id|>", 128006,
                "<|end_header_id|>", 128007, "<|eot_id|>", 128009, "<|finetune_right_pad_id|>", 128004));
    }

    static Tokenizer chatMl() {
        return cl100kWith(Map.of("<|endoftext|>", 100257, "<|im_start|>", 100264, "<|im_end|>", 100265));
    }
}
