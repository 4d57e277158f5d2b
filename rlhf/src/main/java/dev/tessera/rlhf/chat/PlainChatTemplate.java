package dev.tessera.rlhf.chat;

import java.util.Arrays;
import java.util.List;

/**
 * The recipe's own layout, four marker tokens and nothing else:
 * <pre>
 *   [user] prompt… [assistant] answer… [end]
 * </pre>
 * Example with user = 1, assistant = 2, end = 3: prompt [7, 8] → [1, 7, 8, 2]; response [9] →
 * [9, 3]; conversation → [1, 7, 8, 2, 9, 3]. A multi-turn conversation repeats the pattern;
 * there is no system role.
 *
 * @param user id of the token that opens a user turn
 * @param assistant id of the token that opens the assistant's turn
 * @param end id of the token that ends the assistant's turn
 * @param pad id used to right-pad batches
 */
public record PlainChatTemplate(int user, int assistant, int end, int pad) implements ChatTemplate {
    public PlainChatTemplate {
        int[] ids = {user, assistant, end, pad};
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0) {
                throw new IllegalArgumentException("PlainChatTemplate: special token ids must be >= 0 but were "
                        + Arrays.toString(ids));
            }
            for (int j = 0; j < i; j++) {
                if (ids[i] == ids[j]) {
                    throw new IllegalArgumentException("PlainChatTemplate: user, assistant, end and pad must be distinct"
                            + " but were " + Arrays.toString(ids));
                }
            }
        }
    }

    @Override
    public RenderedChat render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        ChatBuilder.checkMessages(messages);
        ChatBuilder out = new ChatBuilder();
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            int[] content = m.content();
            checkPlain("messages[" + i + "].content", content);
            switch (m.role()) {
                case USER -> out.add(user, false).add(content, false);
                case ASSISTANT -> out.add(assistant, false).add(content, true).add(end, true);
                case SYSTEM -> throw new IllegalArgumentException("messages[" + i + "] has role system, which the plain"
                        + " chat format does not have (roles: user, assistant)");
            }
        }
        if (addGenerationPrompt) {
            out.add(assistant, false);
        }
        return out.build();
    }

    @Override
    public int[] response(int[] responseTokens) {
        checkPlain("responseTokens", responseTokens);
        int[] out = Arrays.copyOf(responseTokens, responseTokens.length + 1);
        out[responseTokens.length] = end;
        return out;
    }

    /** Special tokens inside content would let data forge turns: rejected. */
    private void checkPlain(String name, int[] tokens) {
        ChatBuilder.checkContent(name, tokens, t -> t == user || t == assistant || t == end || t == pad, Integer.MAX_VALUE);
    }
}
