package dev.tessera.tokenizer;

import dev.tessera.core.Require;

/**
 * Settings of a BERT WordPiece tokenizer (Hugging Face's BertNormalizer, BertPreTokenizer,
 * WordPiece model and BERT post-processor).
 *
 * @param lowercase              lowercase the text (bert-base-uncased: true)
 * @param stripAccents           NFD-decompose and drop nonspacing marks (uncased: true)
 * @param cleanText              drop U+0000, U+FFFD and control characters, map whitespace to ' '
 * @param handleChineseChars     put spaces around CJK ideographs so each is its own word
 * @param unkToken               e.g. {@code "[UNK]"}
 * @param continuingSubwordPrefix e.g. {@code "##"}
 * @param maxInputCharsPerWord   longer words become {@code unkToken}, e.g. 100
 * @param clsToken               prepended by {@link Tokenizer#encode(String)}, e.g. {@code "[CLS]"}
 * @param sepToken               appended by {@link Tokenizer#encode(String)}, e.g. {@code "[SEP]"}
 */
public record WordPieceConfig(boolean lowercase, boolean stripAccents, boolean cleanText, boolean handleChineseChars,
                              String unkToken, String continuingSubwordPrefix, int maxInputCharsPerWord,
                              String clsToken, String sepToken) {
    public WordPieceConfig {
        if (unkToken == null || unkToken.isEmpty()) {
            throw new IllegalArgumentException("unkToken must be non-empty");
        }
        Require.nonNull("continuingSubwordPrefix", continuingSubwordPrefix);
        if (maxInputCharsPerWord < 1) {
            throw new IllegalArgumentException("maxInputCharsPerWord must be >= 1, got " + maxInputCharsPerWord);
        }
    }

    /** bert-base-uncased: lowercase, strip accents, clean text, CJK spacing, "##", 100 chars, [CLS]/[SEP]. */
    public static WordPieceConfig bertUncased() {
        return new WordPieceConfig(true, true, true, true, "[UNK]", "##", 100, "[CLS]", "[SEP]");
    }

    /** bert-base-cased: as uncased but without lowercasing or accent stripping. */
    public static WordPieceConfig bertCased() {
        return new WordPieceConfig(false, false, true, true, "[UNK]", "##", 100, "[CLS]", "[SEP]");
    }
}
