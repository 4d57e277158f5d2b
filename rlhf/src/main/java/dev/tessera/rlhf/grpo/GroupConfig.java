package dev.tessera.rlhf.grpo;

/**
 * Settings of {@link GroupPolicyTrainer}. Typical values in brackets.
 *
 * @param method GRPO or RLOO
 * @param prompts prompts per iteration, ≥ 1
 * @param groupSize k samples per prompt, ≥ 2 [GRPO 64 in DeepSeekMath, 4–16 at small scale; RLOO 2–4]
 * @param minibatchSize completions per gradient step, dividing prompts × groupSize
 * @param epochs passes over each iteration's completions [1: on-policy, ratio 1 throughout]
 * @param clipEps ratio clip ε [0.2]
 * @param beta KL weight: GRPO's β·k3 in the loss [0.04], RLOO's β·Σk1 in the reward [0.05]
 * @param advantageEps added to the group's standard deviation in GRPO (ignored by RLOO) [1e-4]
 * @param maxNewTokens response length limit while sampling
 * @param temperature sampling temperature τ; every log-probability (policy, old, reference) is
 *     taken under logits / τ, the distribution the tokens were drawn from [1.0]
 */
public record GroupConfig(GroupMethod method, int prompts, int groupSize, int minibatchSize, int epochs, double clipEps,
        double beta, double advantageEps, int maxNewTokens, double temperature) {
    public GroupConfig {
        String n = "GroupConfig: ";
        if (method == null) {
            throw new IllegalArgumentException(n + "method must not be null");
        }
        if (prompts < 1) {
            throw new IllegalArgumentException(n + "prompts must be >= 1 but was " + prompts);
        }
        if (groupSize < 2) {
            throw new IllegalArgumentException(n + "groupSize must be >= 2 (the baseline needs other samples of the prompt)"
                    + " but was " + groupSize);
        }
        if (minibatchSize < 1 || (prompts * groupSize) % minibatchSize != 0) {
            throw new IllegalArgumentException(n + "minibatchSize must be >= 1 and divide prompts × groupSize = "
                    + prompts * groupSize + " but was " + minibatchSize);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException(n + "epochs must be >= 1 but was " + epochs);
        }
        if (!(clipEps > 0 && clipEps < 1)) {
            throw new IllegalArgumentException(n + "clipEps must be in (0, 1) but was " + clipEps);
        }
        if (!(beta >= 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException(n + "beta must be finite and >= 0 but was " + beta);
        }
        if (!(advantageEps > 0) || Double.isInfinite(advantageEps)) {
            throw new IllegalArgumentException(n + "advantageEps must be finite and > 0 but was " + advantageEps);
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException(n + "maxNewTokens must be >= 1 but was " + maxNewTokens);
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException(n + "temperature must be finite and > 0 for sampled rollouts but was "
                    + temperature);
        }
    }

    /** GRPO as DeepSeekMath: ε 0.2, β 0.04, advantage ε 1e-4, one epoch, τ 1. */
    public static GroupConfig grpo(int prompts, int groupSize, int minibatchSize, int maxNewTokens) {
        return new GroupConfig(GroupMethod.GRPO, prompts, groupSize, minibatchSize, 1, 0.2, 0.04, 1e-4, maxNewTokens, 1.0);
    }

    /** RLOO: β 0.05 on the sequence KL in the reward, ε 0.2, one epoch (plain REINFORCE when one minibatch), τ 1. */
    public static GroupConfig rloo(int prompts, int groupSize, int minibatchSize, int maxNewTokens) {
        return new GroupConfig(GroupMethod.RLOO, prompts, groupSize, minibatchSize, 1, 0.2, 0.05, 1e-4, maxNewTokens, 1.0);
    }

    /** Completions per iteration. */
    public int completions() {
        return prompts * groupSize;
    }

    public GroupConfig withEpochs(int e) {
        return new GroupConfig(method, prompts, groupSize, minibatchSize, e, clipEps, beta, advantageEps, maxNewTokens,
                temperature);
    }

    public GroupConfig withBeta(double b) {
        return new GroupConfig(method, prompts, groupSize, minibatchSize, epochs, clipEps, b, advantageEps, maxNewTokens,
                temperature);
    }

    public GroupConfig withTemperature(double t) {
        return new GroupConfig(method, prompts, groupSize, minibatchSize, epochs, clipEps, beta, advantageEps, maxNewTokens,
                t);
    }
}
