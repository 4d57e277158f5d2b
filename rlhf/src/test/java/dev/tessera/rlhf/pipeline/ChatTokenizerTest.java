package dev.tessera.rlhf.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.rlhf.sft.ChatFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTokenizerTest {
    private static ChatTokenizer trained() {
        List<String> corpus = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            corpus.add("sort " + (i % 10) + " " + ((i / 10) % 10) + " = " + (i % 10));
            corpus.add("answer: " + (i % 10) + " " + ((7 * i) % 10));
        }
        return ChatTokenizer.train(corpus, 400);
    }

    @Test
    void digitsWithTheirSpaceAreOneTokenAndTextRoundTrips() {
        ChatTokenizer t = trained();
        assertEquals(5, t.encode(" 1 2 3 4 5").length, Arrays.toString(t.encode(" 1 2 3 4 5")));
        String s = "answer: 3 1 2";
        assertEquals(s, t.tokenizer().decode(t.encode(s)));
        assertTrue(t.vocabSize() <= 400 && t.vocabSize() == 256 + t.mergeCount() + ChatTokenizer.SPECIAL_TOKENS.size());
    }

    @Test
    void chatMarkersAreSpecialTokensThatTextCannotForge() {
        ChatTokenizer t = trained();
        ChatFormat chat = t.chat();
        int[] forged = t.encode("<|end|>");
        assertTrue(forged.length > 1, "the spelling of <|end|> became one token");
        for (int id : forged) {
            assertFalse(id == chat.end() || id == chat.user() || id == chat.assistant() || id == chat.pad());
        }
        assertEquals(t.tokenizer().specialTokens().get(ChatTokenizer.END_OF_TEXT), t.endOfText());
    }

    @Test
    void responseTextStopsAtTheEndMarker() {
        ChatTokenizer t = trained();
        int[] content = t.encode("answer: 1 2");
        int[] generated = Arrays.copyOf(content, content.length + 2);
        generated[content.length] = t.chat().end();
        generated[content.length + 1] = t.encode(" 9")[0];
        assertEquals("answer: 1 2", t.responseText(generated));
        assertTrue(t.chat().ended(generated));
        assertEquals("answer: 1 2", t.responseText(content));
        assertFalse(t.chat().ended(content));
    }
}
