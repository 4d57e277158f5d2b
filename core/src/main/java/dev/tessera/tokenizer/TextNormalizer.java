package dev.tessera.tokenizer;

import java.text.Normalizer;
import java.util.List;

/**
 * The normalizers of a SentencePiece-style tokenizer.json: {@code Prepend}, {@code Replace}
 * (string patterns), {@code NFC}, {@code NFKC} and {@code Sequence}. As in Hugging Face, the
 * normalizer runs on each stretch of text between added tokens separately, so {@code Prepend}
 * puts its prefix before every such stretch (Llama 2 encodes {@code "<s>Hi"} with the special
 * token allowed as {@code <s> ▁Hi}).
 */
sealed interface TextNormalizer {

    NormalizedText apply(NormalizedText text);

    /** Normalizes a plain string (the content of an added token with {@code normalized: true}). */
    default String apply(String text) {
        return text.isEmpty() ? text : apply(NormalizedText.of(text, 0, text.length())).text;
    }

    /** Prepends {@code prefix} to non-empty text. */
    record Prepend(String prefix) implements TextNormalizer {
        @Override
        public NormalizedText apply(NormalizedText text) {
            return text.isEmpty() ? text : text.prepend(prefix);
        }
    }

    /** Replaces every occurrence of {@code pattern} (a literal string) with {@code content}. */
    record Replace(String pattern, String content) implements TextNormalizer {
        public Replace {
            if (pattern.isEmpty()) {
                throw new IllegalArgumentException("Replace pattern must not be empty");
            }
        }

        @Override
        public NormalizedText apply(NormalizedText text) {
            return text.replace(pattern, content);
        }
    }

    /** Unicode normalization form NFC or NFKC. */
    record Unicode(Normalizer.Form form) implements TextNormalizer {
        @Override
        public NormalizedText apply(NormalizedText text) {
            return text.isEmpty() ? text : text.unicode(form);
        }
    }

    /** The normalizers in order. */
    record Sequence(List<TextNormalizer> steps) implements TextNormalizer {
        public Sequence {
            steps = List.copyOf(steps);
        }

        @Override
        public NormalizedText apply(NormalizedText text) {
            for (TextNormalizer n : steps) {
                text = n.apply(text);
            }
            return text;
        }
    }
}
