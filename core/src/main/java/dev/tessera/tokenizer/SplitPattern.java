package dev.tessera.tokenizer;

import java.util.List;

/**
 * The pre-tokenisation patterns that have a linear-time hand-written scanner. Each constant
 * lists the regex spellings (tiktoken's, and those found in Hugging Face tokenizer.json files)
 * that it implements exactly.
 */
public enum SplitPattern {
    /** GPT-2, r50k_base, p50k_base. */
    GPT2(R50kScanner.INSTANCE,
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            "'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            "'(?:[sdmt]|ll|ve|re)| ?\\p{L}++| ?\\p{N}++| ?[^\\s\\p{L}\\p{N}]++|\\s++$|\\s+(?!\\S)|\\s"),
    /** cl100k_base and Llama 3. */
    CL100K(Cl100kScanner.INSTANCE,
            "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    /** Qwen 2 / 2.5: cl100k with single-digit numbers. */
    QWEN2(Cl100kScanner.SINGLE_DIGITS,
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    /** o200k_base. */
    O200K(O200kScanner.INSTANCE,
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                    + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                    + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    private final PieceScanner scanner;
    private final List<String> spellings;

    SplitPattern(PieceScanner scanner, String... spellings) {
        this.scanner = scanner;
        this.spellings = List.of(spellings);
    }

    /** The canonical regex (tiktoken's spelling). */
    public String regex() {
        return spellings.get(0);
    }

    PieceScanner scanner() {
        return scanner;
    }

    /** The pattern with this exact regex spelling, or {@code null}. */
    public static SplitPattern forRegex(String regex) {
        for (SplitPattern p : values()) {
            if (p.spellings.contains(regex)) {
                return p;
            }
        }
        return null;
    }
}
