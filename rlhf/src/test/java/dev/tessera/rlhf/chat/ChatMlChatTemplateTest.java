package dev.tessera.rlhf.chat;

import static dev.tessera.rlhf.chat.Llama3ChatTemplateTest.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.tokenizer.Tokenizer;
import dev.tessera.tokenizer.Tokenizers;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChatMlChatTemplateTest {
    private static final Tokenizer TOKENIZER = TemplateTokenizers.chatMl();
    private final ChatMlChatTemplate chat = new ChatMlChatTemplate(TOKENIZER, "<|endoftext|>");

    @Test
    void aSmallConversationHasChatMlsExactTokens() {
        int[] sys = TOKENIZER.encodeOrdinary("Be brief.");
        int[] hi = TOKENIZER.encodeOrdinary("Hi");
        int[] hello = TOKENIZER.encodeOrdinary("Hello!");
        RenderedChat r = chat.render(List.of(ChatMessage.system(sys), ChatMessage.user(hi), ChatMessage.assistant(hello)),
                true);
        // "system" 9125, "user" 882, "assistant" 78191, "\n" 198 in cl100k_base.
        int[] expected = concat(new int[] {100264, 9125, 198}, sys, new int[] {100265, 198},
                new int[] {100264, 882, 198}, hi, new int[] {100265, 198},
                new int[] {100264, 78191, 198}, hello, new int[] {100265, 198},
                new int[] {100264, 78191, 198});
        assertArrayEquals(expected, r.ids());
        String text = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>assistant\n";
        assertEquals(text, TOKENIZER.decode(r.ids()));
        // Encoding the whole text with the markers allowed gives the same ids.
        assertArrayEquals(TOKENIZER.encode(text, Set.of("<|im_start|>", "<|im_end|>")), r.ids());
        boolean[] mask = r.assistant();
        int answerStart = 3 + sys.length + 2 + 3 + hi.length + 2 + 3;
        for (int i = 0; i < expected.length; i++) {
            assertEquals(i >= answerStart && i < answerStart + hello.length + 1, mask[i], "position " + i);
        }
    }

    @Test
    void promptResponseAndErrors() {
        int[] hi = TOKENIZER.encodeOrdinary("Hi");
        assertArrayEquals(concat(new int[] {100264, 882, 198}, hi, new int[] {100265, 198, 100264, 78191, 198}),
                chat.prompt(hi));
        assertArrayEquals(concat(hi, new int[] {100265}), chat.response(hi));
        assertEquals(100265, chat.end());
        assertEquals(100257, chat.pad());
        IllegalArgumentException forged = assertThrows(IllegalArgumentException.class,
                () -> chat.response(new int[] {100264}));
        assertTrue(forged.getMessage().contains("responseTokens[0]"), forged.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new ChatMlChatTemplate(Tokenizers.cl100kBase(), "<|endoftext|>"));
        assertTrue(missing.getMessage().contains("<|im_start|>"), missing.getMessage());
    }
}
