package dev.tessera.rlhf.chat;

import dev.tessera.tokenizer.Tokenizer;
import java.util.Map;

/** Looks up the special tokens a template needs, with an error naming any that is missing. */
final class TemplateTokens {
    private TemplateTokens() {
    }

    static int id(Tokenizer tokenizer, String token, String template) {
        Integer id = tokenizer.specialTokens().get(token);
        if (id == null) {
            Map<String, Integer> s = tokenizer.specialTokens();
            throw new IllegalArgumentException("the tokenizer has no special token " + token + ", which the " + template
                    + " chat template needs; it has " + s.size() + " special tokens"
                    + (s.size() <= 12 ? ": " + s.keySet() : ""));
        }
        return id;
    }
}
