package dev.tessera.rlhf.ppo;

import dev.tessera.rlhf.math.KlEstimator;
import java.util.function.Consumer;

/**
 * PPO hyper-parameters for RLHF. Typical values (InstructGPT / TRL) in brackets.
 *
 * @param rolloutBatch prompts sampled per PPO iteration [64–512; 32 in the demo]
 * @param minibatchSize rollouts per gradient step, divides rolloutBatch [8–64]
 * @param epochs passes over each rollout batch [4]
 * @param clipEps policy ratio clip ε [0.2]
 * @param valueClip value clip c, or +inf for none [0.2]
 * @param gamma discount γ [1.0]
 * @param lambda GAE λ [0.95]
 * @param valueCoef weight of the value loss [0.1–0.5]
 * @param entropyCoef weight of the entropy bonus, ≥ 0 [0–0.01]
 * @param klEstimator per-token KL estimator in the reward [K1]
 * @param klStopBound early stop: the remaining minibatches of an iteration are skipped once the
 *     approximate KL between the current and the rollout policy exceeds this, or +inf [0.1–1]
 * @param ptxCoef γ_ptx, weight of the pretraining LM loss (PPO-ptx), 0 for plain PPO [InstructGPT: 27.8
 *     on their scale; the demo uses 0.1–1]
 * @param whitenAdvantages whiten advantages over the rollout batch [true]
 * @param maxNewTokens response length limit while sampling
 * @param temperature sampling temperature τ of rollouts [1.0]; the policy's and the reference's
 *     log-probs (so the ratio, the KL penalty and the entropy) are taken under logits / τ as well,
 *     the distribution the tokens were drawn from
 * @param shaping how reward-model scores become terminal rewards
 */
public record PpoConfig(int rolloutBatch, int minibatchSize, int epochs, double clipEps, double valueClip, double gamma,
        double lambda, double valueCoef, double entropyCoef, KlEstimator klEstimator, double klStopBound, double ptxCoef,
        boolean whitenAdvantages, int maxNewTokens, double temperature, RewardShaping shaping) {
    public PpoConfig {
        String n = "PpoConfig: ";
        if (rolloutBatch < 1) {
            throw new IllegalArgumentException(n + "rolloutBatch must be >= 1 but was " + rolloutBatch);
        }
        if (minibatchSize < 1 || rolloutBatch % minibatchSize != 0) {
            throw new IllegalArgumentException(n + "minibatchSize must be >= 1 and divide rolloutBatch " + rolloutBatch
                    + " but was " + minibatchSize);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException(n + "epochs must be >= 1 but was " + epochs);
        }
        if (!(clipEps > 0 && clipEps < 1)) {
            throw new IllegalArgumentException(n + "clipEps must be in (0, 1) but was " + clipEps);
        }
        if (!(valueClip > 0)) {
            throw new IllegalArgumentException(n + "valueClip must be > 0 (or +inf) but was " + valueClip);
        }
        if (!(gamma >= 0 && gamma <= 1)) {
            throw new IllegalArgumentException(n + "gamma must be in [0, 1] but was " + gamma);
        }
        if (!(lambda >= 0 && lambda <= 1)) {
            throw new IllegalArgumentException(n + "lambda must be in [0, 1] but was " + lambda);
        }
        if (!(valueCoef >= 0) || Double.isInfinite(valueCoef)) {
            throw new IllegalArgumentException(n + "valueCoef must be finite and >= 0 but was " + valueCoef);
        }
        if (!(entropyCoef >= 0) || Double.isInfinite(entropyCoef)) {
            throw new IllegalArgumentException(n + "entropyCoef must be finite and >= 0 but was " + entropyCoef);
        }
        if (klEstimator == null) {
            throw new IllegalArgumentException(n + "klEstimator must not be null");
        }
        if (!(klStopBound > 0)) {
            throw new IllegalArgumentException(n + "klStopBound must be > 0 (or +inf) but was " + klStopBound);
        }
        if (!(ptxCoef >= 0) || Double.isInfinite(ptxCoef)) {
            throw new IllegalArgumentException(n + "ptxCoef must be finite and >= 0 but was " + ptxCoef);
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException(n + "maxNewTokens must be >= 1 but was " + maxNewTokens);
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException(n + "temperature must be finite and > 0 for sampled rollouts but was " + temperature);
        }
        if (shaping == null) {
            throw new IllegalArgumentException(n + "shaping must not be null");
        }
    }

    /** TRL-like defaults: 4 epochs, ε 0.2, value clip 0.2, γ 1, λ 0.95, value coefficient 0.1, K1, no ptx. */
    public static PpoConfig defaults(int rolloutBatch, int minibatchSize, int maxNewTokens) {
        return new PpoConfig(rolloutBatch, minibatchSize, 4, 0.2, 0.2, 1.0, 0.95, 0.1, 0.0, KlEstimator.K1,
                Double.POSITIVE_INFINITY, 0.0, true, maxNewTokens, 1.0, RewardShaping.none());
    }

    /** This config with {@code rolloutBatch} = {@code v}. */
    public PpoConfig withRolloutBatch(int v) {
        return edit(f -> f.rolloutBatch = v);
    }

    /** This config with {@code minibatchSize} = {@code v}. */
    public PpoConfig withMinibatchSize(int v) {
        return edit(f -> f.minibatchSize = v);
    }

    /** This config with {@code epochs} = {@code v}. */
    public PpoConfig withEpochs(int v) {
        return edit(f -> f.epochs = v);
    }

    /** This config with {@code clipEps} = {@code v}. */
    public PpoConfig withClipEps(double v) {
        return edit(f -> f.clipEps = v);
    }

    /** This config with {@code valueClip} = {@code v}. */
    public PpoConfig withValueClip(double v) {
        return edit(f -> f.valueClip = v);
    }

    /** This config with {@code gamma} = {@code v}. */
    public PpoConfig withGamma(double v) {
        return edit(f -> f.gamma = v);
    }

    /** This config with {@code lambda} = {@code v}. */
    public PpoConfig withLambda(double v) {
        return edit(f -> f.lambda = v);
    }

    /** This config with {@code valueCoef} = {@code v}. */
    public PpoConfig withValueCoef(double v) {
        return edit(f -> f.valueCoef = v);
    }

    /** This config with {@code entropyCoef} = {@code v}. */
    public PpoConfig withEntropyCoef(double v) {
        return edit(f -> f.entropyCoef = v);
    }

    /** This config with {@code klEstimator} = {@code v}. */
    public PpoConfig withKlEstimator(KlEstimator v) {
        return edit(f -> f.klEstimator = v);
    }

    /** This config with {@code klStopBound} = {@code v}. */
    public PpoConfig withKlStopBound(double v) {
        return edit(f -> f.klStopBound = v);
    }

    /** This config with {@code ptxCoef} = {@code v}. */
    public PpoConfig withPtxCoef(double v) {
        return edit(f -> f.ptxCoef = v);
    }

    /** This config with {@code whitenAdvantages} = {@code v}. */
    public PpoConfig withWhitenAdvantages(boolean v) {
        return edit(f -> f.whitenAdvantages = v);
    }

    /** This config with {@code maxNewTokens} = {@code v}. */
    public PpoConfig withMaxNewTokens(int v) {
        return edit(f -> f.maxNewTokens = v);
    }

    /** This config with {@code temperature} = {@code v}. */
    public PpoConfig withTemperature(double v) {
        return edit(f -> f.temperature = v);
    }

    /** This config with {@code shaping} = {@code v}. */
    public PpoConfig withShaping(RewardShaping v) {
        return edit(f -> f.shaping = v);
    }

    /** A copy with {@code change} applied to its fields, validated as any new one. */
    private PpoConfig edit(Consumer<Fields> change) {
        Fields f = new Fields(this);
        change.accept(f);
        return f.build();
    }

    /** The fields of a PpoConfig to change before building the next (a record's own fields are final). */
    private static final class Fields {
        int rolloutBatch;
        int minibatchSize;
        int epochs;
        double clipEps;
        double valueClip;
        double gamma;
        double lambda;
        double valueCoef;
        double entropyCoef;
        KlEstimator klEstimator;
        double klStopBound;
        double ptxCoef;
        boolean whitenAdvantages;
        int maxNewTokens;
        double temperature;
        RewardShaping shaping;

        Fields(PpoConfig c) {
            rolloutBatch = c.rolloutBatch;
            minibatchSize = c.minibatchSize;
            epochs = c.epochs;
            clipEps = c.clipEps;
            valueClip = c.valueClip;
            gamma = c.gamma;
            lambda = c.lambda;
            valueCoef = c.valueCoef;
            entropyCoef = c.entropyCoef;
            klEstimator = c.klEstimator;
            klStopBound = c.klStopBound;
            ptxCoef = c.ptxCoef;
            whitenAdvantages = c.whitenAdvantages;
            maxNewTokens = c.maxNewTokens;
            temperature = c.temperature;
            shaping = c.shaping;
        }

        PpoConfig build() {
            return new PpoConfig(rolloutBatch, minibatchSize, epochs, clipEps, valueClip, gamma, lambda, valueCoef,
                    entropyCoef, klEstimator, klStopBound, ptxCoef, whitenAdvantages, maxNewTokens, temperature,
                    shaping);
        }
    }
}
