package dev.tessera.rlhf.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlainChatTemplateTest {
    private final PlainChatTemplate chat = new PlainChatTemplate(1, 2, 3, 0);

    @Test
    void layout() {
        assertArrayEquals(new int[] {1, 7, 8, 2}, chat.prompt(new int[] {7, 8}));
        assertArrayEquals(new int[] {9, 3}, chat.response(new int[] {9}));
        assertArrayEquals(new int[] {1, 7, 8, 2, 9, 3}, chat.conversation(new int[] {7, 8}, new int[] {9}));
    }

    @Test
    void renderedConversationMarksTheAnswersAndTheirEndMarkers() {
        RenderedChat r = chat.render(List.of(ChatMessage.user(new int[] {7, 8}), ChatMessage.assistant(new int[] {9}),
                ChatMessage.user(new int[] {10}), ChatMessage.assistant(new int[] {11, 12})), false);
        assertArrayEquals(new int[] {1, 7, 8, 2, 9, 3, 1, 10, 2, 11, 12, 3}, r.ids());
        assertArrayEquals(new boolean[] {false, false, false, false, true, true, false, false, false, true, true, true},
                r.assistant());
        RenderedChat g = chat.render(List.of(ChatMessage.user(new int[] {7})), true);
        assertArrayEquals(new int[] {1, 7, 2}, g.ids());
        assertArrayEquals(new boolean[3], g.assistant());
        // The single-turn row is the rendered conversation up to the answer's end marker.
        RenderedChat one = chat.render(List.of(ChatMessage.user(new int[] {7, 8}), ChatMessage.assistant(new int[] {9})),
                false);
        assertArrayEquals(chat.conversation(new int[] {7, 8}, new int[] {9}), one.ids());
    }

    @Test
    void trainingAndGenerationSeeTheSamePrefix() {
        int[] p = {7, 8, 9};
        int[] conv = chat.conversation(p, new int[] {4, 5});
        int[] gen = chat.prompt(p);
        for (int i = 0; i < gen.length; i++) {
            assertTrue(conv[i] == gen[i], "position " + i);
        }
    }

    @Test
    void stripAndEnded() {
        assertArrayEquals(new int[] {9}, chat.strip(new int[] {9, 3, 5}));
        assertArrayEquals(new int[] {9, 5}, chat.strip(new int[] {9, 5}));
        assertTrue(chat.ended(new int[] {9, 3}));
        assertFalse(chat.ended(new int[] {9, 5}));
    }

    @Test
    void markersInsideContentAndSystemTurnsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> chat.prompt(new int[] {7, 2, 8}));
        assertTrue(e.getMessage().contains("messages[0].content[1]"), e.getMessage());
        IllegalArgumentException r = assertThrows(IllegalArgumentException.class, () -> chat.response(new int[] {3}));
        assertTrue(r.getMessage().contains("responseTokens[0]"), r.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                () -> chat.render(List.of(ChatMessage.system(new int[] {7})), false));
        assertTrue(s.getMessage().contains("messages[0] has role system"), s.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PlainChatTemplate(1, 1, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> new PlainChatTemplate(-1, 2, 3, 0));
    }
}
