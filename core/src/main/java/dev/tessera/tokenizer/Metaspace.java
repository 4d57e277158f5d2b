package dev.tessera.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * SentencePiece's whitespace handling as Hugging Face's {@code Metaspace} pre-tokenizer does
 * it: spaces become the meta symbol {@code replacement} (normally U+2581 {@code ▁}), the symbol
 * is prepended according to {@code scheme}, and with {@code split} the text is cut before every
 * meta symbol, which stays at the start of its word ({@code "▁Hello▁▁world"} →
 * {@code "▁Hello", "▁", "▁world"}).
 *
 * @param replacement the meta symbol, one code point
 * @param scheme when to prepend it
 * @param split whether to cut words at it
 */
record Metaspace(String replacement, PrependScheme scheme, boolean split) {

    /** When the meta symbol is prepended to a stretch of text that does not start with it. */
    enum PrependScheme {
        /** Always. */
        ALWAYS,
        /** Only to the stretch that starts at the beginning of the input (not after an added token). */
        FIRST,
        /** Never. */
        NEVER
    }

    Metaspace {
        if (replacement.isEmpty() || replacement.codePointCount(0, replacement.length()) != 1) {
            throw new IllegalArgumentException("Metaspace replacement must be one character, got '" + replacement + "'");
        }
    }

    /** The words of one stretch of normalized text. */
    List<NormalizedText> preTokenize(NormalizedText text) {
        text = text.replace(" ", replacement);
        boolean prepend = switch (scheme) {
            case ALWAYS -> true;
            case FIRST -> text.isEmpty() || text.originalStart() == 0;
            case NEVER -> false;
        };
        if (prepend && !text.text.startsWith(replacement)) {
            text = text.isEmpty() ? text : text.prepend(replacement);
        }
        List<NormalizedText> words = new ArrayList<>();
        if (text.isEmpty()) {
            return words;
        }
        if (!split) {
            words.add(text);
            return words;
        }
        int start = 0;
        int at = text.text.indexOf(replacement, 1);
        while (at >= 0) {
            words.add(text.slice(start, at));
            start = at;
            at = text.text.indexOf(replacement, at + replacement.length());
        }
        words.add(text.slice(start, text.length()));
        return words;
    }
}
