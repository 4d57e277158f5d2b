package dev.tessera.rlhf.sft;

import java.util.Arrays;

/**
 * The chat template, in token ids, shared by SFT, reward modelling, PPO, DPO and generation so
 * that a model sees exactly the same layout when it is trained and when it answers:
 * <pre>
 *   [user] prompt… [assistant] response… [end]
 * </pre>
 * {@link #prompt} is what generation is conditioned on (it ends with the assistant marker) and
 * {@link #response} is what the model must produce (it ends with the end marker, where sampling
 * stops). Example with user = 1, assistant = 2, end = 3: prompt [7, 8] → [1, 7, 8, 2];
 * response [9] → [9, 3]; full → [1, 7, 8, 2, 9, 3].
 *
 * @param user id of the token that opens a user turn
 * @param assistant id of the token that opens the assistant's turn
 * @param end id of the token that ends the assistant's turn
 * @param pad id used to right-pad batches (never predicted: padded positions are masked out)
 */
public record ChatFormat(int user, int assistant, int end, int pad) {
    public ChatFormat {
        int[] ids = {user, assistant, end, pad};
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0) {
                throw new IllegalArgumentException("ChatFormat: special token ids must be >= 0 but were " + Arrays.toString(ids));
            }
            for (int j = 0; j < i; j++) {
                if (ids[i] == ids[j]) {
                    throw new IllegalArgumentException("ChatFormat: user, assistant, end and pad must be distinct but were "
                            + Arrays.toString(ids));
                }
            }
        }
    }

    /** [user] prompt [assistant]: the generation context. */
    public int[] prompt(int[] promptTokens) {
        checkPlain("promptTokens", promptTokens);
        int[] out = new int[promptTokens.length + 2];
        out[0] = user;
        System.arraycopy(promptTokens, 0, out, 1, promptTokens.length);
        out[out.length - 1] = assistant;
        return out;
    }

    /** response [end]: the training target after the prompt. */
    public int[] response(int[] responseTokens) {
        checkPlain("responseTokens", responseTokens);
        int[] out = Arrays.copyOf(responseTokens, responseTokens.length + 1);
        out[responseTokens.length] = end;
        return out;
    }

    /** The whole conversation: prompt(p) followed by response(r). */
    public int[] conversation(int[] promptTokens, int[] responseTokens) {
        int[] p = prompt(promptTokens);
        int[] r = response(responseTokens);
        int[] out = Arrays.copyOf(p, p.length + r.length);
        System.arraycopy(r, 0, out, p.length, r.length);
        return out;
    }

    /**
     * The content of a generated response: the tokens before the first end marker (all of them
     * if the model never ended). {@code [9, 3, 5] -> [9]}.
     */
    public int[] strip(int[] generated) {
        for (int i = 0; i < generated.length; i++) {
            if (generated[i] == end) {
                return Arrays.copyOf(generated, i);
            }
        }
        return generated.clone();
    }

    /** Whether a generated response was closed with the end marker. */
    public boolean ended(int[] generated) {
        for (int t : generated) {
            if (t == end) {
                return true;
            }
        }
        return false;
    }

    /** Special tokens inside user content would let data forge turns: rejected. */
    private void checkPlain(String name, int[] tokens) {
        for (int i = 0; i < tokens.length; i++) {
            int t = tokens[i];
            if (t == user || t == assistant || t == end || t == pad) {
                throw new IllegalArgumentException("ChatFormat: " + name + "[" + i + "] is the special token " + t
                        + "; content must not contain the chat markers");
            }
        }
    }
}
