package dev.tessera.rlhf;

import dev.tessera.core.Rng;
import dev.tessera.rlhf.chat.PlainChatTemplate;
import dev.tessera.rlhf.ppo.Rollouts;
import java.util.ArrayList;
import java.util.List;

/**
 * The toy task the policy-optimisation tests (PPO, GRPO/RLOO) train {@link TinyLm} on: two-token
 * prompts from tokens 4–6 in a plain chat format, and a rule that rewards responses made of the
 * GOOD token, so that training measurably raises the score within a few iterations.
 */
public final class GoodTokenTask {
    /** The chat format of the rollouts: BOS 1, separator 2, end 3, padding 0. */
    public static final PlainChatTemplate CHAT = new PlainChatTemplate(1, 2, 3, 0);
    /** The token the rule rewards. */
    public static final int GOOD = 9;

    private GoodTokenTask() {}

    /** Fraction of the response's tokens (before the end marker) that are the GOOD token. */
    public static double[] ruleScores(Rollouts ro) {
        double[] s = new double[ro.responses().size()];
        for (int i = 0; i < s.length; i++) {
            int[] content = CHAT.strip(ro.responses().get(i));
            int good = 0;
            for (int t : content) {
                good += t == GOOD ? 1 : 0;
            }
            s[i] = content.length == 0 ? 0 : (double) good / content.length;
        }
        return s;
    }

    /** {@code n} raw prompts of two tokens drawn from 4–6. */
    public static List<int[]> prompts(Rng rng, int n) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new int[] {4 + rng.nextInt(3), 4 + rng.nextInt(3)});
        }
        return out;
    }
}
