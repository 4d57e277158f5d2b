package dev.tessera.rlhf.chat;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/** Accumulates a rendered conversation: ids and the assistant mask side by side. */
final class ChatBuilder {
    private int[] ids = new int[32];
    private boolean[] assistant = new boolean[32];
    private int size;

    ChatBuilder add(int id, boolean isAssistant) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
            assistant = Arrays.copyOf(assistant, size * 2);
        }
        ids[size] = id;
        assistant[size] = isAssistant;
        size++;
        return this;
    }

    ChatBuilder add(int[] tokens, boolean isAssistant) {
        for (int t : tokens) {
            add(t, isAssistant);
        }
        return this;
    }

    RenderedChat build() {
        return new RenderedChat(Arrays.copyOf(ids, size), Arrays.copyOf(assistant, size));
    }

    /**
     * The layout Llama 3 and ChatML share: {@code prefix}, then per message its role's header, the
     * content and {@code end} (both masked as the answer for assistant turns) and {@code separator};
     * with {@code addGenerationPrompt}, the assistant header last. Content is checked against
     * {@code isMarker} and the vocabulary first.
     */
    static RenderedChat headedTurns(List<ChatMessage> messages, boolean addGenerationPrompt, int[] prefix,
            int[][] headers, int end, int[] separator, IntPredicate isMarker, int vocabSize) {
        checkMessages(messages);
        ChatBuilder out = new ChatBuilder().add(prefix, false);
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            int[] content = m.content();
            checkContent("messages[" + i + "].content", content, isMarker, vocabSize);
            boolean answer = m.role() == ChatRole.ASSISTANT;
            out.add(headers[m.role().ordinal()], false).add(content, answer).add(end, answer).add(separator, false);
        }
        if (addGenerationPrompt) {
            out.add(headers[ChatRole.ASSISTANT.ordinal()], false);
        }
        return out.build();
    }

    /** {@code responseTokens} (checked as content) followed by {@code end}: a sampled answer as the template closes it. */
    static int[] closedResponse(int[] responseTokens, int end, IntPredicate isMarker, int vocabSize) {
        checkContent("responseTokens", responseTokens, isMarker, vocabSize);
        int[] out = Arrays.copyOf(responseTokens, responseTokens.length + 1);
        out[responseTokens.length] = end;
        return out;
    }

    /** Rejects a null message list or null messages. */
    static void checkMessages(List<ChatMessage> messages) {
        if (messages == null) {
            throw new IllegalArgumentException("messages must not be null");
        }
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i) == null) {
                throw new IllegalArgumentException("messages[" + i + "] must not be null");
            }
        }
    }

    /** Rejects content ids that are markers ({@code isMarker}) or outside {@code [0, vocabSize)}. */
    static void checkContent(String name, int[] content, IntPredicate isMarker, int vocabSize) {
        for (int i = 0; i < content.length; i++) {
            int t = content[i];
            if (t < 0 || t >= vocabSize) {
                throw new IllegalArgumentException(name + "[" + i + "] = " + t + " is not a token id; expected 0 <= id < "
                        + vocabSize);
            }
            if (isMarker.test(t)) {
                throw new IllegalArgumentException(name + "[" + i + "] is the special token " + t
                        + "; content must not contain chat markers");
            }
        }
    }
}
