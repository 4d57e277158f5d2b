package example;

import dev.tessera.rlhf.dpo.DpoLoss;
import dev.tessera.tokenizer.Tokenizer;
import dev.tessera.tokenizer.Tokenizers;
import dev.tessera.tokenizer.WordPieceConfig;
import java.util.Arrays;
import java.util.Map;

/** Compiles against tessera-rlhf and tessera-core through the BOM alone (no versions in this project). */
public final class Consumer {
    private Consumer() {}

    public static void main(String[] args) {
        Tokenizer bert = Tokenizers.wordPiece(Map.of("[UNK]", 0, "[CLS]", 1, "[SEP]", 2, "hello", 3),
                WordPieceConfig.bertUncased());
        System.out.println(Arrays.toString(bert.encode("Hello")) + " " + DpoLoss.class.getSimpleName());
    }
}
