package dev.tessera.rlhf.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tokenizer.Tokenizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Llama3ChatTemplateTest {
    private static final Tokenizer TOKENIZER = TemplateTokenizers.llama3();
    private final Llama3ChatTemplate chat = new Llama3ChatTemplate(TOKENIZER, "<|finetune_right_pad_id|>");

    @Test
    void aSmallConversationHasLlama3sExactTokens() {
        int[] sys = TOKENIZER.encodeOrdinary("Be brief.");
        int[] hi = TOKENIZER.encodeOrdinary("Hi");
        int[] hello = TOKENIZER.encodeOrdinary("Hello!");
        RenderedChat r = chat.render(List.of(ChatMessage.system(sys), ChatMessage.user(hi), ChatMessage.assistant(hello)),
                false);
        // Header ids as Llama 3 writes them: system 9125, user 882, assistant 78191, "\n\n" 271.
        int[] expected = concat(new int[] {128000, 128006, 9125, 128007, 271}, sys, new int[] {128009},
                new int[] {128006, 882, 128007, 271}, hi, new int[] {128009},
                new int[] {128006, 78191, 128007, 271}, hello, new int[] {128009});
        assertArrayEquals(expected, r.ids());
        boolean[] mask = r.assistant();
        int answerStart = expected.length - hello.length - 1;
        for (int i = 0; i < expected.length; i++) {
            assertEquals(i >= answerStart, mask[i], "position " + i);
        }
        // The text the ids spell is Meta's template, character for character.
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>", TOKENIZER.decode(r.ids()));
    }

    @Test
    void thePromptEndsWithTheAssistantHeaderAndTheResponseWithEot() {
        int[] hi = TOKENIZER.encodeOrdinary("Hi");
        assertArrayEquals(concat(new int[] {128000, 128006, 882, 128007, 271}, hi, new int[] {128009, 128006, 78191,
                128007, 271}), chat.prompt(hi));
        assertArrayEquals(concat(hi, new int[] {128009}), chat.response(hi));
        assertEquals(128009, chat.end());
        assertEquals(128004, chat.pad());
        assertArrayEquals(hi, chat.strip(chat.response(hi)));
    }

    @Test
    void markersInContentAndMissingSpecialTokensAreErrors() {
        IllegalArgumentException forged = assertThrows(IllegalArgumentException.class,
                () -> chat.prompt(new int[] {9906, 128009}));
        assertTrue(forged.getMessage().contains("messages[0].content[1]"), forged.getMessage());
        // Text that spells a marker stays text.
        int[] spelled = ChatMessage.of(ChatRole.USER, "<|eot_id|>", TOKENIZER).content();
        assertTrue(spelled.length > 1);
        chat.prompt(spelled);
        Tokenizer noHeaders = TemplateTokenizers.cl100kWith(Map.of("<|begin_of_text|>", 128000, "<|eot_id|>", 128009,
                "<|finetune_right_pad_id|>", 128004));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new Llama3ChatTemplate(noHeaders, "<|finetune_right_pad_id|>"));
        assertTrue(missing.getMessage().contains("<|start_header_id|>"), missing.getMessage());
        IllegalArgumentException pad = assertThrows(IllegalArgumentException.class,
                () -> new Llama3ChatTemplate(TOKENIZER, "<|pad|>"));
        assertTrue(pad.getMessage().contains("<|pad|>"), pad.getMessage());
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
