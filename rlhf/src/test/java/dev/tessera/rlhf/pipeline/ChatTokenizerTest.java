package dev.tessera.rlhf.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.rlhf.chat.PlainChatTemplate;
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
        PlainChatTemplate chat = t.chat();
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

    @Test
    void theRecipeUsesThePlainFourMarkerLayoutByDefault() {
        ChatTokenizer t = trained();
        var s = t.tokenizer().specialTokens();
        assertEquals(new PlainChatTemplate(s.get(ChatTokenizer.USER), s.get(ChatTokenizer.ASSISTANT), s.get(ChatTokenizer.END),
                s.get(ChatTokenizer.PAD)), t.chat());
        // [user] prompt [assistant] answer [end], as the recipe has always laid out its rows.
        int[] p = t.encode("sort 3 1 2");
        int[] r = t.encode("answer: 1 2 3");
        int[] expected = new int[p.length + r.length + 3];
        expected[0] = s.get(ChatTokenizer.USER);
        System.arraycopy(p, 0, expected, 1, p.length);
        expected[p.length + 1] = s.get(ChatTokenizer.ASSISTANT);
        System.arraycopy(r, 0, expected, p.length + 2, r.length);
        expected[expected.length - 1] = s.get(ChatTokenizer.END);
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, t.chat().conversation(p, r));
    }
}
