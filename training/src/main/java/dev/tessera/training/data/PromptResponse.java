package dev.tessera.training.data;

import java.util.Arrays;

/**
 * Supervised fine-tuning examples: the prompt is context only and the response (plus an end
 * token) is what the loss trains, e.g. prompt [5, 6], response [7, 8], eos 0 →
 * ids [5, 6, 7, 8, 0], lossMask [F, F, T, T, T].
 */
public final class PromptResponse {
    private PromptResponse() {}

    /**
     * @param maxLength sequences longer than this are truncated from the end of the response
     *     (the prompt is kept whole; a prompt alone longer than maxLength − 1 is an error)
     * @param eosId appended after the response, or −1 for none
     */
    public static LabeledSequence encode(int[] prompt, int[] response, int eosId, int maxLength) {
        if (prompt == null || response == null) {
            throw new IllegalArgumentException("prompt and response must not be null");
        }
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt must not be empty");
        }
        if (prompt.length > maxLength - 1) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens leaves no room for a response in maxLength "
                    + maxLength);
        }
        int total = prompt.length + response.length + (eosId >= 0 ? 1 : 0);
        int n = Math.min(total, maxLength);
        int[] ids = Arrays.copyOf(prompt, n);
        boolean[] mask = new boolean[n];
        for (int i = prompt.length; i < n; i++) {
            int r = i - prompt.length;
            ids[i] = r < response.length ? response[r] : eosId;
            mask[i] = true;
        }
        return new LabeledSequence(ids, mask);
    }
}
