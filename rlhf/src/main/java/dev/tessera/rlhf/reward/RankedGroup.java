package dev.tessera.rlhf.reward;

import java.util.List;

/**
 * One prompt with K responses ranked best first (2 ≤ K ≤ 9), as a labeller ranked them.
 *
 * @param prompt the formatted prompt ({@code ChatTemplate.prompt}), ending with the assistant marker
 * @param responses the responses as generated (with the end marker where they have one), best first
 */
public record RankedGroup(int[] prompt, List<int[]> responses) {
    public RankedGroup {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("RankedGroup: prompt must not be empty");
        }
        if (responses.size() < RankingLoss.MIN_K || responses.size() > RankingLoss.MAX_K) {
            throw new IllegalArgumentException("RankedGroup: K must be in [" + RankingLoss.MIN_K + ", " + RankingLoss.MAX_K
                    + "] but " + responses.size() + " responses were given");
        }
        for (int i = 0; i < responses.size(); i++) {
            if (responses.get(i).length == 0) {
                throw new IllegalArgumentException("RankedGroup: responses[" + i + "] is empty");
            }
        }
        responses = List.copyOf(responses);
    }

    public int k() {
        return responses.size();
    }
}
