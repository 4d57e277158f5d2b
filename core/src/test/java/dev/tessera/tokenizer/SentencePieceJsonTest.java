package dev.tessera.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Decoding details, spans and the errors of the SentencePiece-style reader. */
class SentencePieceJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode llama2() throws IOException {
        try (InputStream in = SentencePieceJsonTest.class.getClassLoader()
                .getResourceAsStream(SentencePieceParityTest.DIR + "llama2.json")) {
            return (ObjectNode) JSON.readTree(in);
        }
    }

    private static IOException readFails(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = llama2();
        edit.accept(root);
        byte[] bytes = JSON.writeValueAsBytes(root);
        return assertThrows(IOException.class, () -> TokenizerJson.read(new ByteArrayInputStream(bytes), "edited.json"));
    }

    @Test
    void byteTokensDecodeToTheirBytesAndInvalidRunsAreReportedReplacedOrKept() throws IOException {
        Tokenizer t = SentencePieceParityTest.load("llama2");
        int e2 = 3 + 0xE2; // <0xE2>: the byte tokens follow <unk> <s> </s>
        int[] snowman = {3 + 0xE2, 3 + 0x98, 3 + 0x83};
        assertEquals("☃", t.decode(snowman));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {e2}));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
        assertEquals("\uFFFD", t.decodeLossy(new int[] {e2}));
        // Hugging Face: one U+FFFD per byte of an invalid run.
        assertEquals("\uFFFD\uFFFD", t.decodeLossy(new int[] {e2, 3 + 0x98}));
        assertArrayEquals(new byte[] {(byte) 0xE2}, t.decodeBytes(new int[] {e2}));
        assertEquals("a☃", t.decode(t.encodeOrdinary("a☃")));
    }

    @Test
    void badIdsAndUnknownSpecialTokensNameTheArgument() throws IOException {
        Tokenizer t = SentencePieceParityTest.load("llama2");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> t.decode(new int[] {5, t.vocabSize()}));
        assertTrue(bad.getMessage().contains("ids[1] = " + t.vocabSize()), bad.getMessage());
        IllegalArgumentException special = assertThrows(IllegalArgumentException.class,
                () -> t.encode("x", Set.of("<|im_start|>")));
        assertTrue(special.getMessage().contains("allowedSpecial") && special.getMessage().contains("<|im_start|>"),
                special.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.encode(null));
    }

    @Test
    void spansPointIntoTheCallersText() throws IOException {
        Tokenizer t = SentencePieceParityTest.load("llama2");
        String text = "Hello café";
        Encoded e = t.encodeWithSpans(text, Set.of());
        assertEquals(1, e.ids()[0]); // <s> from the post-processor, an empty span at 0
        assertEquals(0, e.starts()[0]);
        assertEquals(0, e.ends()[0]);
        assertEquals(0, e.starts()[1]);
        assertEquals(text.length(), e.ends()[e.size() - 1]);
        for (int i = 1; i < e.size(); i++) {
            assertTrue(e.starts()[i] >= e.starts()[i - 1] && e.starts()[i] < e.ends()[i], "token " + i);
        }
        // The pieces of "café" cover its chars, byte tokens of é included.
        StringBuilder covered = new StringBuilder();
        int last = -1;
        for (int i = 1; i < e.size(); i++) {
            if (e.starts()[i] != last) {
                covered.append(text, Math.max(e.starts()[i], covered.length()), e.ends()[i]);
                last = e.starts()[i];
            }
        }
        assertEquals(text, covered.toString());
    }

    @Test
    void unsupportedOrMalformedComponentsNameTheField() throws IOException {
        IOException lower = readFails(r -> r.putObject("normalizer").put("type", "Lowercase"));
        assertTrue(lower.getMessage().contains("normalizer type 'Lowercase'"), lower.getMessage());
        IOException regex = readFails(r -> ((ObjectNode) r.path("normalizer").path("normalizers").get(1).path("pattern"))
                .removeAll().put("Regex", " +"));
        assertTrue(regex.getMessage().contains("normalizer.normalizers[1].pattern"), regex.getMessage());
        IOException merge = readFails(r -> ((com.fasterxml.jackson.databind.node.ArrayNode) r.path("model").path("merges"))
                .insert(0, "nospace"));
        assertTrue(merge.getMessage().contains("model.merges[0]"), merge.getMessage());
        IOException dropout = readFails(r -> ((ObjectNode) r.path("model")).put("dropout", 0.1));
        assertTrue(dropout.getMessage().contains("model.dropout"), dropout.getMessage());
        IOException unk = readFails(r -> ((ObjectNode) r.path("model")).put("unk_token", "<nope>"));
        assertTrue(unk.getMessage().contains("unk_token '<nope>'"), unk.getMessage());
        IOException pre = readFails(r -> r.putObject("pre_tokenizer").put("type", "Whitespace"));
        assertTrue(pre.getMessage().contains("pre_tokenizer type 'Whitespace'"), pre.getMessage());
        IOException post = readFails(r -> r.putObject("post_processor").put("type", "RobertaProcessing"));
        assertTrue(post.getMessage().contains("post_processor type 'RobertaProcessing'"), post.getMessage());
        IOException scheme = readFails(r -> r.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "▁")
                .put("prepend_scheme", "sometimes"));
        assertTrue(scheme.getMessage().contains("prepend_scheme must be always, first or never"), scheme.getMessage());
    }

    @Test
    void aCharacterWithNoTokenAndNoFallbackIsAnErrorNotALoss() throws IOException {
        ObjectNode root = llama2();
        ((ObjectNode) root.path("model")).put("byte_fallback", false).putNull("unk_token");
        byte[] bytes = JSON.writeValueAsBytes(root);
        Tokenizer t = TokenizerJson.read(new ByteArrayInputStream(bytes), "strict.json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.encodeOrdinary("a☃"));
        assertTrue(e.getMessage().contains("U+2603"), e.getMessage());
        assertEquals("a b", t.decode(t.encodeOrdinary("a b")));
        assertEquals(new String(t.decodeBytes(t.encodeOrdinary("a b")), StandardCharsets.UTF_8), "a b");
    }
}
