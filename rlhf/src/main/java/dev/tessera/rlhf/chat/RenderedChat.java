package dev.tessera.rlhf.chat;

import java.util.Arrays;

/**
 * A conversation laid out by a {@link ChatTemplate}: its token ids and, per token, whether it
 * belongs to an assistant's answer (the answer's content and the marker that ends it), which
 * is what supervised fine-tuning trains on.
 *
 * @param ids the tokens
 * @param assistant {@code assistant[i]} is true when {@code ids[i]} is part of an answer
 */
public record RenderedChat(int[] ids, boolean[] assistant) {
    public RenderedChat {
        if (ids == null || assistant == null || ids.length != assistant.length) {
            throw new IllegalArgumentException("RenderedChat: ids and assistant must have the same length, got "
                    + (ids == null ? "null" : ids.length) + " and " + (assistant == null ? "null" : assistant.length));
        }
        ids = ids.clone();
        assistant = assistant.clone();
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    @Override
    public boolean[] assistant() {
        return assistant.clone();
    }

    /** Number of tokens. */
    public int size() {
        return ids.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RenderedChat r && Arrays.equals(r.ids, ids) && Arrays.equals(r.assistant, assistant);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids) * 31 + Arrays.hashCode(assistant);
    }

    @Override
    public String toString() {
        return "RenderedChat" + Arrays.toString(ids);
    }
}
