package dev.tessera.rlhf.chat;

import java.util.Arrays;
import java.util.List;

/**
 * How a conversation becomes token ids, shared by supervised fine-tuning, reward modelling, PPO,
 * DPO and generation so that a model sees the same layout when it is trained and when it
 * answers. Three layouts: {@link PlainChatTemplate} ({@code [user] prompt [assistant] answer
 * [end]}, the recipe's own), {@link Llama3ChatTemplate} and {@link ChatMlChatTemplate}.
 *
 * <p>The single-turn methods are what the training code uses: {@link #prompt} is the context
 * that generation continues (it ends by opening the assistant's turn), {@link #response} is what
 * the model must produce (the answer and the marker that ends the turn, {@link #end()}, where
 * sampling stops), and {@code prompt(p) + response(r)} is the training row.
 *
 * <p>Content never holds the template's markers: a message or prompt that contains one is
 * rejected with an {@link IllegalArgumentException} naming the position.
 */
public interface ChatTemplate {

    /**
     * The conversation's tokens and which of them are the assistant's answers.
     *
     * @param addGenerationPrompt whether to end by opening an assistant turn for generation
     */
    RenderedChat render(List<ChatMessage> messages, boolean addGenerationPrompt);

    /** The generation context for one user turn: {@code render([user(promptTokens)], true)}. */
    default int[] prompt(int[] promptTokens) {
        if (promptTokens == null) {
            throw new IllegalArgumentException("promptTokens must not be null");
        }
        return render(List.of(ChatMessage.user(promptTokens)), true).ids();
    }

    /** The answer followed by the marker that ends the assistant's turn: the training target after the prompt. */
    int[] response(int[] responseTokens);

    /** {@code prompt(promptTokens)} followed by {@code response(responseTokens)}. */
    default int[] conversation(int[] promptTokens, int[] responseTokens) {
        int[] p = prompt(promptTokens);
        int[] r = response(responseTokens);
        int[] out = Arrays.copyOf(p, p.length + r.length);
        System.arraycopy(r, 0, out, p.length, r.length);
        return out;
    }

    /** Id of the marker that ends an assistant turn; generation stops there. */
    int end();

    /** Id used to right-pad batches (never predicted: padded positions are masked out). */
    int pad();

    /**
     * The content of a generated response: the tokens before the first end marker (all of them
     * if the model never ended).
     */
    default int[] strip(int[] generated) {
        for (int i = 0; i < generated.length; i++) {
            if (generated[i] == end()) {
                return Arrays.copyOf(generated, i);
            }
        }
        return generated.clone();
    }

    /** Whether a generated response was closed with the end marker. */
    default boolean ended(int[] generated) {
        for (int t : generated) {
            if (t == end()) {
                return true;
            }
        }
        return false;
    }
}
