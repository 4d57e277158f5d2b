package dev.tessera.rlhf.dpo;

/**
 * A prompt with a preferred and a dispreferred response.
 *
 * @param prompt the formatted prompt ({@code ChatTemplate.prompt}), ending with the assistant marker
 * @param chosen the preferred response as generated (with the end marker where it has one)
 * @param rejected the other response
 */
public record PreferencePair(int[] prompt, int[] chosen, int[] rejected) {
    public PreferencePair {
        if (prompt.length == 0 || chosen.length == 0 || rejected.length == 0) {
            throw new IllegalArgumentException("PreferencePair: prompt, chosen and rejected must be non-empty but have lengths "
                    + prompt.length + ", " + chosen.length + ", " + rejected.length);
        }
    }
}
