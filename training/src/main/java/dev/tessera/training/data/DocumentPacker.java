package dev.tessera.training.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Tokenises documents once into a {@link TokenFile}, packing them back to back with a separator
 * after each (GPT-2's {@code <|endoftext|>}), so that fixed-length windows span document
 * boundaries and the model learns that a separator starts a new document.
 */
public final class DocumentPacker {
    private DocumentPacker() {}

    /**
     * @param documents texts in order
     * @param separatorId appended after every document, in [0, vocabSize)
     * @return the number of tokens written
     */
    public static long pack(Iterable<String> documents, TextEncoder encoder, int separatorId, Path out)
            throws IOException {
        if (separatorId < 0 || separatorId >= encoder.vocabSize()) {
            throw new IllegalArgumentException("separatorId must be in [0, " + encoder.vocabSize() + ") but was " + separatorId);
        }
        try (TokenFile.Writer w = TokenFile.writer(out, encoder.vocabSize())) {
            int[] sep = {separatorId};
            for (String doc : documents) {
                w.append(encoder.encode(doc));
                w.append(sep);
            }
            w.commit();
            return w.count();
        }
    }
}
