package dev.tessera.rlhf.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ChatFormatTest {
    private final ChatFormat chat = new ChatFormat(1, 2, 3, 0);

    @Test
    void layout() {
        assertArrayEquals(new int[] {1, 7, 8, 2}, chat.prompt(new int[] {7, 8}));
        assertArrayEquals(new int[] {9, 3}, chat.response(new int[] {9}));
        assertArrayEquals(new int[] {1, 7, 8, 2, 9, 3}, chat.conversation(new int[] {7, 8}, new int[] {9}));
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
    void markersInsideContentAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> chat.prompt(new int[] {7, 2, 8}));
        assertTrue(e.getMessage().contains("promptTokens[1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> chat.response(new int[] {3}));
        assertThrows(IllegalArgumentException.class, () -> new ChatFormat(1, 1, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChatFormat(-1, 2, 3, 0));
    }
}
