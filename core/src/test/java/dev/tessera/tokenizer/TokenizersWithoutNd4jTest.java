package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Tokenizers on a class path without ND4J, JavaCPP and jtokkit. Runs only in core's
 * {@code tokenizers-without-nd4j} surefire execution, which removes those artifacts from the class
 * path (the default test run excludes this class, where ND4J is present).
 */
class TokenizersWithoutNd4jTest {

    @Test
    void ndj4JavaCppAndJtokkitAreAbsent() {
        // without this the other tests could pass on a class path that still has the native libraries
        for (String absent : List.of("org.nd4j.linalg.factory.Nd4j", "org.bytedeco.javacpp.Loader",
                "com.knuddels.jtokkit.Encodings")) {
            assertThrows(ClassNotFoundException.class,
                    () -> Class.forName(absent, false, getClass().getClassLoader()), absent);
        }
    }

    @Test
    void byteLevelBpeEncodesAndDecodes() throws IOException {
        // the 256 bytes, then merges "he" 256, "ll" 257, "hell" 258, "hello" 259, " w" 260
        StringBuilder ranks = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            ranks.append(base64(new byte[] {(byte) b})).append(' ').append(b).append('\n');
        }
        String[] merges = {"he", "ll", "hell", "hello", " w"};
        for (int i = 0; i < merges.length; i++) {
            ranks.append(base64(merges[i].getBytes(StandardCharsets.UTF_8))).append(' ').append(256 + i).append('\n');
        }
        Tokenizer bpe = Tokenizers.fromTiktoken(new ByteArrayInputStream(ranks.toString().getBytes(StandardCharsets.US_ASCII)),
                "test ranks", SplitPattern.GPT2, Map.of("<|endoftext|>", 261));

        int[] ids = bpe.encode("hello world<|endoftext|>", Set.of("<|endoftext|>"));
        assertArrayEquals(new int[] {259, 260, 'o', 'r', 'l', 'd', 261}, ids);
        assertEquals("hello world<|endoftext|>", bpe.decode(ids));
        assertEquals("héllo", bpe.decode(bpe.encodeOrdinary("héllo")));
    }

    @Test
    void wordPieceEncodesAndDecodes() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String t : List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "un", "##aff", "##able", "!")) {
            vocab.put(t, vocab.size());
        }
        Tokenizer bert = Tokenizers.wordPiece(vocab, WordPieceConfig.bertUncased());

        int[] ids = bert.encode("Hello UNAFFABLE world!");
        assertArrayEquals(new int[] {2, 4, 6, 7, 8, 5, 9, 3}, ids);
        assertEquals("[CLS] hello unaffable world ! [SEP]", bert.decode(ids));
    }

    @Test
    void tiktokenEncodingWithoutJtokkitNamesTheArtifactToAdd() {
        IllegalStateException e = assertThrows(IllegalStateException.class, Tokenizers::cl100kBase);
        String expected = "com.knuddels:jtokkit:" + System.getProperty("jtokkit.version");
        assertTrue(e.getMessage().contains(expected), () -> "message should name " + expected + ": " + e.getMessage());
        assertTrue(e.getMessage().startsWith("cl100k_base: rank file com/knuddels/jtokkit/cl100k_base.tiktoken"),
                e.getMessage());
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
