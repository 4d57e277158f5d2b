package dev.tessera.rlhf.chat;

import dev.tessera.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * One turn of a conversation: a role and its content as token ids. Content never holds chat
 * markers; {@link #of} encodes text with {@link Tokenizer#encodeOrdinary}, so a message that
 * spells {@code <|eot_id|>} stays text and cannot end a turn.
 *
 * @param role who speaks
 * @param content the turn's tokens, without any template markers
 */
public record ChatMessage(ChatRole role, int[] content) {
    public ChatMessage {
        if (role == null || content == null) {
            throw new IllegalArgumentException("ChatMessage: role and content must not be null, got role " + role
                    + " and content " + (content == null ? "null" : content.length + " ids"));
        }
        content = content.clone();
    }

    /** The turn's tokens (a copy). */
    @Override
    public int[] content() {
        return content.clone();
    }

    /** A turn whose text is encoded as ordinary text: special-token spellings stay text. */
    public static ChatMessage of(ChatRole role, String text, Tokenizer tokenizer) {
        if (text == null || tokenizer == null) {
            throw new IllegalArgumentException("ChatMessage.of: text and tokenizer must not be null");
        }
        return new ChatMessage(role, tokenizer.encodeOrdinary(text));
    }

    public static ChatMessage system(int[] content) {
        return new ChatMessage(ChatRole.SYSTEM, content);
    }

    public static ChatMessage user(int[] content) {
        return new ChatMessage(ChatRole.USER, content);
    }

    public static ChatMessage assistant(int[] content) {
        return new ChatMessage(ChatRole.ASSISTANT, content);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChatMessage m && m.role == role && Arrays.equals(m.content, content);
    }

    @Override
    public int hashCode() {
        return role.hashCode() * 31 + Arrays.hashCode(content);
    }

    @Override
    public String toString() {
        return role.text() + Arrays.toString(content);
    }
}
