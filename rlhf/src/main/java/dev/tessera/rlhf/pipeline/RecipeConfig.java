package dev.tessera.rlhf.pipeline;

import dev.tessera.rlhf.model.RewardModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Everything the recipe pipeline needs: seed, model size, task, and one record per stage.
 * Presets: {@link #defaults()} (the README demo: a few minutes on two cores) and {@link #tiny()}
 * (CI: seconds). Typical values are the defaults' below.
 *
 * @param seed every random choice (data, initialisation, sampling) derives from it
 * @param size model preset
 * @param task the synthetic instruction task and its imperfect demonstrator
 * @param pretrainText a UTF-8 text file to pretrain on instead of the generated corpus (blank-line
 *     separated documents), or null
 * @param pretrain tokenizer and pretraining settings
 * @param sft supervised fine-tuning settings
 * @param reward reward-model settings
 * @param ppo PPO settings
 * @param dpo DPO settings
 * @param grpo GRPO settings
 * @param eval held-out evaluation settings
 */
public record RecipeConfig(long seed, ModelSize size, TaskGenerator task, Path pretrainText, Pretrain pretrain, Sft sft,
        Reward reward, Ppo ppo, Dpo dpo, Grpo grpo, Eval eval) {

    public RecipeConfig {
        if (size == null || task == null || pretrain == null || sft == null || reward == null || ppo == null || dpo == null
                || grpo == null || eval == null) {
            throw new IllegalArgumentException("RecipeConfig: only pretrainText may be null");
        }
        if (pretrainText != null && !Files.isRegularFile(pretrainText)) {
            throw new IllegalArgumentException("RecipeConfig: pretrainText " + pretrainText + " is not a readable file");
        }
        int longest = 2 + 2 * task.maxDigits() + 4 + eval.maxNewTokens();
        if (pretrain.contextLength() < longest) {
            throw new IllegalArgumentException("RecipeConfig: pretrain.contextLength " + pretrain.contextLength()
                    + " is shorter than a conversation can get (~" + longest + " tokens for maxDigits " + task.maxDigits()
                    + " and maxNewTokens " + eval.maxNewTokens() + ")");
        }
    }

    /**
     * Tokenizer and pretraining.
     *
     * @param documents generated pretraining documents (ignored with a pretraining text file), typical 6000
     * @param vocabSize BPE vocabulary bound, ≥ 261 (256 bytes + 5 special tokens), typical 384
     * @param contextLength longest pretraining row and the model's position table, typical 32
     * @param steps optimizer steps, typical 600
     * @param batchSize rows per step, typical 128 (a row is one short document; at this width a step's
     *     cost is mostly per-op overhead, so 128 rows cost about twice 32 and teach the operations
     *     far better: greedy exact answers 77% / 60% / 80% for sort / reverse / copy at 32 rows,
     *     94% / 99% / 100% at 128, seed 1234)
     * @param learningRate AdamW peak rate (cosine to a tenth), typical 3e-3
     */
    public record Pretrain(int documents, int vocabSize, int contextLength, int steps, int batchSize, double learningRate) {
        public Pretrain {
            positive("pretrain.documents", documents);
            if (vocabSize < 256 + ChatTokenizer.SPECIAL_TOKENS.size()) {
                throw new IllegalArgumentException("RecipeConfig: pretrain.vocabSize must be >= "
                        + (256 + ChatTokenizer.SPECIAL_TOKENS.size()) + " but was " + vocabSize);
            }
            positive("pretrain.contextLength", contextLength);
            positive("pretrain.steps", steps);
            positive("pretrain.batchSize", batchSize);
            rate("pretrain.learningRate", learningRate);
        }

        /** A copy with {@code pretrain.documents} = {@code v}. */
        public Pretrain withDocuments(int v) {
            return new Pretrain(v, vocabSize, contextLength, steps, batchSize, learningRate);
        }

        /** A copy with {@code pretrain.vocabSize} = {@code v}. */
        public Pretrain withVocabSize(int v) {
            return new Pretrain(documents, v, contextLength, steps, batchSize, learningRate);
        }

        /** A copy with {@code pretrain.contextLength} = {@code v}. */
        public Pretrain withContextLength(int v) {
            return new Pretrain(documents, vocabSize, v, steps, batchSize, learningRate);
        }

        /** A copy with {@code pretrain.steps} = {@code v}. */
        public Pretrain withSteps(int v) {
            return new Pretrain(documents, vocabSize, contextLength, v, batchSize, learningRate);
        }

        /** A copy with {@code pretrain.batchSize} = {@code v}. */
        public Pretrain withBatchSize(int v) {
            return new Pretrain(documents, vocabSize, contextLength, steps, v, learningRate);
        }

        /** A copy with {@code pretrain.learningRate} = {@code v}. */
        public Pretrain withLearningRate(double v) {
            return new Pretrain(documents, vocabSize, contextLength, steps, batchSize, v);
        }
    }

    /**
     * Supervised fine-tuning on imperfect demonstrations.
     *
     * @param examples distinct demonstration prompts, typical 6000
     * @param steps optimizer steps, typical 1000 (the chat layout moves every token a position or
     *     two from where pretraining put it, so the pretrained skill has to be re-learnt in place; at
     *     150 steps the SFT model answered 53% of held-out copy instructions exactly, at 1000 95%)
     * @param batchSize conversations per step, typical 32
     * @param learningRate AdamW rate, typical 1e-3
     */
    public record Sft(int examples, int steps, int batchSize, double learningRate) {
        public Sft {
            positive("sft.examples", examples);
            positive("sft.steps", steps);
            positive("sft.batchSize", batchSize);
            rate("sft.learningRate", learningRate);
        }

        /** A copy with {@code sft.examples} = {@code v}. */
        public Sft withExamples(int v) {
            return new Sft(v, steps, batchSize, learningRate);
        }

        /** A copy with {@code sft.steps} = {@code v}. */
        public Sft withSteps(int v) {
            return new Sft(examples, v, batchSize, learningRate);
        }

        /** A copy with {@code sft.batchSize} = {@code v}. */
        public Sft withBatchSize(int v) {
            return new Sft(examples, steps, v, learningRate);
        }

        /** A copy with {@code sft.learningRate} = {@code v}. */
        public Sft withLearningRate(double v) {
            return new Sft(examples, steps, batchSize, v);
        }
    }

    /**
     * The reward model on K-wise rankings of SFT samples.
     *
     * @param prompts prompts whose K samples the labeller ranks, typical 2400 (with fewer the reward
     *     model fits its training rankings well above the held-out ones)
     * @param k responses sampled per prompt, 2–9 (InstructGPT: 4–9), typical 4; responses with
     *     equal labeller scores are merged, so a group can be smaller
     * @param heldOutFraction fraction of the prompts kept for the held-out pairwise accuracy, typical 0.2
     * @param steps optimizer steps, typical 450
     * @param batchSize prompts (groups) per step, typical 16
     * @param learningRate AdamW rate, typical 2e-3
     * @param readout where the scalar head reads the trunk, typical {@code RESPONSE_SUM_LM} (see
     *     {@link RewardModel.Readout}: on the recipe's task the last-token readout stays near 78% of
     *     held-out pairs, unable to tell a right answer from a wrong one in the same format; the
     *     trunk's own log-likelihood of the answer is what judges the digits)
     */
    public record Reward(int prompts, int k, double heldOutFraction, int steps, int batchSize, double learningRate,
            RewardModel.Readout readout) {
        public Reward {
            if (readout == null) {
                throw new IllegalArgumentException("RecipeConfig: reward.readout must not be null");
            }
            positive("reward.prompts", prompts);
            if (k < 2 || k > 9) {
                throw new IllegalArgumentException("RecipeConfig: reward.k must be in [2, 9] but was " + k);
            }
            if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
                throw new IllegalArgumentException("RecipeConfig: reward.heldOutFraction must be in (0, 1) but was "
                        + heldOutFraction);
            }
            positive("reward.steps", steps);
            positive("reward.batchSize", batchSize);
            rate("reward.learningRate", learningRate);
        }

        /** A copy with {@code reward.prompts} = {@code v}. */
        public Reward withPrompts(int v) {
            return new Reward(v, k, heldOutFraction, steps, batchSize, learningRate, readout);
        }

        /** A copy with {@code reward.k} = {@code v}. */
        public Reward withK(int v) {
            return new Reward(prompts, v, heldOutFraction, steps, batchSize, learningRate, readout);
        }

        /** A copy with {@code reward.heldOutFraction} = {@code v}. */
        public Reward withHeldOutFraction(double v) {
            return new Reward(prompts, k, v, steps, batchSize, learningRate, readout);
        }

        /** A copy with {@code reward.steps} = {@code v}. */
        public Reward withSteps(int v) {
            return new Reward(prompts, k, heldOutFraction, v, batchSize, learningRate, readout);
        }

        /** A copy with {@code reward.batchSize} = {@code v}. */
        public Reward withBatchSize(int v) {
            return new Reward(prompts, k, heldOutFraction, steps, v, learningRate, readout);
        }

        /** A copy with {@code reward.learningRate} = {@code v}. */
        public Reward withLearningRate(double v) {
            return new Reward(prompts, k, heldOutFraction, steps, batchSize, v, readout);
        }

        /** A copy with {@code reward.readout} = {@code v}. */
        public Reward withReadout(RewardModel.Readout v) {
            return new Reward(prompts, k, heldOutFraction, steps, batchSize, learningRate, v);
        }
    }

    /**
     * PPO against the reward model, with an adaptive KL penalty to the SFT model and PPO-ptx.
     *
     * @param iterations rollout batches, typical 30
     * @param rolloutBatch prompts sampled per iteration, typical 64
     * @param minibatchSize rollouts per gradient step, divides rolloutBatch, typical 32
     * @param epochs passes over each rollout batch, typical 2
     * @param learningRate the policy's AdamW rate, typical 2e-4
     * @param criticLearningRate the value model's AdamW rate, typical 2e-4 (the policy's; a value head
     *     that starts from zero may learn faster)
     * @param initialBeta starting KL coefficient β and its floor (the controller only raises it:
     *     without the floor it fell to ~0.3 while the KL was still building up, and the KL ended
     *     0.4–0.9 nats over its target), typical 1.0
     * @param klTarget KL to the SFT model (nats per response) the controller steers to, typical 1.5
     * @param klHorizon the controller's horizon in sequences, typical 100 (with 64 rollouts an
     *     iteration, β moves by up to 13% per iteration; at 200 it lagged and the KL overshot its
     *     target by a quarter)
     * @param ptxCoef weight of the pretraining LM loss (PPO-ptx), 0 for plain PPO, typical 0.05: the
     *     pretraining corpus states the answers in another layout ({@code sort 3 1 2 = 1 2 3}), so
     *     its loss pulls the policy away from the chat format and the SFT model; at 0.5 PPO collapsed
     *     early (KL to SFT 17–20 nats), at 0.2 it ended 0.9 nats over the KL target
     * @param valueFromRewardModel initialise the critic as a copy of the reward model (InstructGPT)
     *     (a second trunk: slower) rather than a fresh value head on the policy's hidden states
     *     (one forward serves both; the default)
     */
    public record Ppo(int iterations, int rolloutBatch, int minibatchSize, int epochs, double learningRate,
            double criticLearningRate, double initialBeta, double klTarget, double klHorizon, double ptxCoef,
            boolean valueFromRewardModel) {
        public Ppo {
            positive("ppo.iterations", iterations);
            positive("ppo.rolloutBatch", rolloutBatch);
            if (minibatchSize < 1 || rolloutBatch % minibatchSize != 0) {
                throw new IllegalArgumentException("RecipeConfig: ppo.minibatchSize must be >= 1 and divide rolloutBatch "
                        + rolloutBatch + " but was " + minibatchSize);
            }
            positive("ppo.epochs", epochs);
            rate("ppo.learningRate", learningRate);
            rate("ppo.criticLearningRate", criticLearningRate);
            rate("ppo.initialBeta", initialBeta);
            rate("ppo.klTarget", klTarget);
            rate("ppo.klHorizon", klHorizon);
            if (!(ptxCoef >= 0) || Double.isInfinite(ptxCoef)) {
                throw new IllegalArgumentException("RecipeConfig: ppo.ptxCoef must be finite and >= 0 but was " + ptxCoef);
            }
        }

        /** A copy with {@code ppo.iterations} = {@code v}. */
        public Ppo withIterations(int v) {
            return edit(f -> f.iterations = v);
        }

        /** A copy with {@code ppo.rolloutBatch} = {@code v}. */
        public Ppo withRolloutBatch(int v) {
            return edit(f -> f.rolloutBatch = v);
        }

        /** A copy with {@code ppo.minibatchSize} = {@code v}. */
        public Ppo withMinibatchSize(int v) {
            return edit(f -> f.minibatchSize = v);
        }

        /** A copy with {@code ppo.epochs} = {@code v}. */
        public Ppo withEpochs(int v) {
            return edit(f -> f.epochs = v);
        }

        /** A copy with {@code ppo.learningRate} = {@code v}. */
        public Ppo withLearningRate(double v) {
            return edit(f -> f.learningRate = v);
        }

        /** A copy with {@code ppo.criticLearningRate} = {@code v}. */
        public Ppo withCriticLearningRate(double v) {
            return edit(f -> f.criticLearningRate = v);
        }

        /** A copy with {@code ppo.initialBeta} = {@code v}. */
        public Ppo withInitialBeta(double v) {
            return edit(f -> f.initialBeta = v);
        }

        /** A copy with {@code ppo.klTarget} = {@code v}. */
        public Ppo withKlTarget(double v) {
            return edit(f -> f.klTarget = v);
        }

        /** A copy with {@code ppo.klHorizon} = {@code v}. */
        public Ppo withKlHorizon(double v) {
            return edit(f -> f.klHorizon = v);
        }

        /** A copy with {@code ppo.ptxCoef} = {@code v}. */
        public Ppo withPtxCoef(double v) {
            return edit(f -> f.ptxCoef = v);
        }

        /** A copy with {@code ppo.valueFromRewardModel} = {@code v}. */
        public Ppo withValueFromRewardModel(boolean v) {
            return edit(f -> f.valueFromRewardModel = v);
        }

        /** A copy with {@code change} applied to its fields, validated as any new one. */
        private Ppo edit(Consumer<Fields> change) {
            Fields f = new Fields(this);
            change.accept(f);
            return f.build();
        }

        /** The fields of a Ppo to change before building the next (a record's own fields are final). */
        private static final class Fields {
            int iterations;
            int rolloutBatch;
            int minibatchSize;
            int epochs;
            double learningRate;
            double criticLearningRate;
            double initialBeta;
            double klTarget;
            double klHorizon;
            double ptxCoef;
            boolean valueFromRewardModel;

            Fields(Ppo c) {
                iterations = c.iterations;
                rolloutBatch = c.rolloutBatch;
                minibatchSize = c.minibatchSize;
                epochs = c.epochs;
                learningRate = c.learningRate;
                criticLearningRate = c.criticLearningRate;
                initialBeta = c.initialBeta;
                klTarget = c.klTarget;
                klHorizon = c.klHorizon;
                ptxCoef = c.ptxCoef;
                valueFromRewardModel = c.valueFromRewardModel;
            }

            Ppo build() {
                return new Ppo(iterations, rolloutBatch, minibatchSize, epochs, learningRate, criticLearningRate,
                        initialBeta, klTarget, klHorizon, ptxCoef, valueFromRewardModel);
            }
        }
    }

    /**
     * DPO on the reward model's training rankings (every ranked pair), from the SFT model.
     *
     * @param steps optimizer steps, typical 100
     * @param batchSize pairs per step, typical 32
     * @param beta DPO β, typical 0.3
     * @param learningRate AdamW rate, typical 2e-4
     */
    public record Dpo(int steps, int batchSize, double beta, double learningRate) {
        public Dpo {
            positive("dpo.steps", steps);
            positive("dpo.batchSize", batchSize);
            rate("dpo.beta", beta);
            rate("dpo.learningRate", learningRate);
        }

        /** A copy with {@code dpo.steps} = {@code v}. */
        public Dpo withSteps(int v) {
            return new Dpo(v, batchSize, beta, learningRate);
        }

        /** A copy with {@code dpo.batchSize} = {@code v}. */
        public Dpo withBatchSize(int v) {
            return new Dpo(steps, v, beta, learningRate);
        }

        /** A copy with {@code dpo.beta} = {@code v}. */
        public Dpo withBeta(double v) {
            return new Dpo(steps, batchSize, v, learningRate);
        }

        /** A copy with {@code dpo.learningRate} = {@code v}. */
        public Dpo withLearningRate(double v) {
            return new Dpo(steps, batchSize, beta, v);
        }
    }

    /**
     * GRPO against the same reward model as PPO, from the SFT model, on PPO's training prompts: k
     * samples per prompt, advantages normalised within each prompt's group, no value model, the
     * KL to the SFT model in the loss (β·k3, DeepSeekMath).
     *
     * @param iterations sampling rounds, typical 30 (as PPO)
     * @param prompts prompts per iteration, typical 16
     * @param groupSize samples per prompt, ≥ 2, typical 4 (16 × 4 = PPO's 64 rollouts per iteration)
     * @param minibatchSize completions per gradient step, divides prompts × groupSize, typical 32
     * @param epochs passes over each iteration's completions, typical 2 (as PPO)
     * @param learningRate AdamW rate, typical 2e-4 (as PPO)
     * @param beta weight of the k3 KL term in the loss, typical 0.3 (seed 1234: DeepSeekMath's 0.04
     *     let the policy drift 5.1 nats from SFT and lose digits, sampled gain +0.018 ± 0.026; 1.0 held
     *     it at 0.17 nats, gain +0.071; 0.3: 0.63 nats, gain +0.103 ± 0.023)
     */
    public record Grpo(int iterations, int prompts, int groupSize, int minibatchSize, int epochs, double learningRate,
            double beta) {
        public Grpo {
            positive("grpo.iterations", iterations);
            positive("grpo.prompts", prompts);
            if (groupSize < 2) {
                throw new IllegalArgumentException("RecipeConfig: grpo.groupSize must be >= 2 but was " + groupSize);
            }
            if (minibatchSize < 1 || (prompts * groupSize) % minibatchSize != 0) {
                throw new IllegalArgumentException("RecipeConfig: grpo.minibatchSize must be >= 1 and divide prompts ×"
                        + " groupSize = " + prompts * groupSize + " but was " + minibatchSize);
            }
            positive("grpo.epochs", epochs);
            rate("grpo.learningRate", learningRate);
            if (!(beta >= 0) || Double.isInfinite(beta)) {
                throw new IllegalArgumentException("RecipeConfig: grpo.beta must be finite and >= 0 but was " + beta);
            }
        }

        /** A copy with {@code grpo.iterations} = {@code v}. */
        public Grpo withIterations(int v) {
            return new Grpo(v, prompts, groupSize, minibatchSize, epochs, learningRate, beta);
        }

        /** A copy with {@code grpo.beta} = {@code v}. */
        public Grpo withBeta(double v) {
            return new Grpo(iterations, prompts, groupSize, minibatchSize, epochs, learningRate, v);
        }
    }

    /**
     * Held-out evaluation.
     *
     * @param prompts held-out prompts (never in any training set), typical 512 (the standard error of a
     *     mean score is then about 0.01)
     * @param maxNewTokens response length limit for every sampling in the pipeline, typical 8 ("answer:", 4 digits
     *     and the end marker take 7)
     * @param samples sample answers shown before and after PPO, typical 6
     */
    public record Eval(int prompts, int maxNewTokens, int samples) {
        public Eval {
            positive("eval.prompts", prompts);
            positive("eval.maxNewTokens", maxNewTokens);
            if (samples < 0 || samples > prompts) {
                throw new IllegalArgumentException("RecipeConfig: eval.samples must be in [0, prompts = " + prompts
                        + "] but was " + samples);
            }
        }

        /** A copy with {@code eval.prompts} = {@code v}. */
        public Eval withPrompts(int v) {
            return new Eval(v, maxNewTokens, samples);
        }

        /** A copy with {@code eval.maxNewTokens} = {@code v}. */
        public Eval withMaxNewTokens(int v) {
            return new Eval(prompts, v, samples);
        }

        /** A copy with {@code eval.samples} = {@code v}. */
        public Eval withSamples(int v) {
            return new Eval(prompts, maxNewTokens, v);
        }
    }

    /** The README demo: a few minutes on two cores. */
    public static RecipeConfig defaults() {
        return new RecipeConfig(1234, ModelSize.SMALL, new TaskGenerator(2, 4, 0.5, 0.3), null,
                new Pretrain(6000, 384, 32, 600, 128, 3e-3),
                new Sft(6000, 1000, 32, 2e-3),
                new Reward(2400, 4, 0.2, 450, 16, 2e-3, RewardModel.Readout.RESPONSE_SUM_LM),
                new Ppo(30, 64, 32, 2, 2e-4, 2e-4, 1.0, 1.5, 100, 0.05, false),
                new Dpo(100, 32, 0.3, 2e-4),
                new Grpo(30, 16, 4, 32, 2, 2e-4, 0.3),
                new Eval(512, 8, 6));
    }

    /** A seconds-long run for tests and CI: tiny model, few steps; its figures mean little. Its reward model reads {@code RESPONSE_SUM}, so CI runs the non-default readout end to end. */
    public static RecipeConfig tiny() {
        return new RecipeConfig(7, ModelSize.TINY, new TaskGenerator(2, 3, 0.5, 0.3), null,
                new Pretrain(400, 300, 24, 30, 16, 5e-3),
                new Sft(64, 30, 16, 5e-3),
                new Reward(24, 3, 0.25, 6, 4, 1e-3, RewardModel.Readout.RESPONSE_SUM),
                new Ppo(2, 8, 4, 2, 5e-4, 5e-4, 0.1, 1.0, 1000, 0.1, false),
                new Dpo(4, 8, 0.1, 5e-4),
                new Grpo(2, 4, 2, 4, 1, 5e-4, 0.04),
                new Eval(16, 7, 2));
    }

    public RecipeConfig withSeed(long s) {
        return new RecipeConfig(s, size, task, pretrainText, pretrain, sft, reward, ppo, dpo, grpo, eval);
    }

    public RecipeConfig withSize(ModelSize s) {
        return new RecipeConfig(seed, s, task, pretrainText, pretrain, sft, reward, ppo, dpo, grpo, eval);
    }

    public RecipeConfig withPretrainText(Path file) {
        return new RecipeConfig(seed, size, task, file, pretrain, sft, reward, ppo, dpo, grpo, eval);
    }

    public RecipeConfig withPretrain(Pretrain p) {
        return new RecipeConfig(seed, size, task, pretrainText, p, sft, reward, ppo, dpo, grpo, eval);
    }

    public RecipeConfig withSft(Sft s) {
        return new RecipeConfig(seed, size, task, pretrainText, pretrain, s, reward, ppo, dpo, grpo, eval);
    }

    public RecipeConfig withReward(Reward r) {
        return new RecipeConfig(seed, size, task, pretrainText, pretrain, sft, r, ppo, dpo, grpo, eval);
    }

    public RecipeConfig withPpo(Ppo p) {
        return new RecipeConfig(seed, size, task, pretrainText, pretrain, sft, reward, p, dpo, grpo, eval);
    }

    public RecipeConfig withGrpo(Grpo g) {
        return new RecipeConfig(seed, size, task, pretrainText, pretrain, sft, reward, ppo, dpo, g, eval);
    }

    public RecipeConfig withTask(TaskGenerator t) {
        return new RecipeConfig(seed, size, t, pretrainText, pretrain, sft, reward, ppo, dpo, grpo, eval);
    }

    public RecipeConfig withEval(Eval e) {
        return new RecipeConfig(seed, size, task, pretrainText, pretrain, sft, reward, ppo, dpo, grpo, e);
    }

    public RecipeConfig withDpo(Dpo d) {
        return new RecipeConfig(seed, size, task, pretrainText, pretrain, sft, reward, ppo, d, grpo, eval);
    }

    /**
     * Every stage's step count (pretraining, SFT, reward model and DPO steps, PPO and GRPO iterations)
     * multiplied by {@code factor} and rounded, at least 1: {@code 0.5} for a quicker, weaker run.
     */
    public RecipeConfig scaleSteps(double factor) {
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("RecipeConfig.scaleSteps: factor must be finite and > 0 but was " + factor);
        }
        return withPretrain(pretrain.withSteps(scale(pretrain.steps(), factor)))
                .withSft(sft.withSteps(scale(sft.steps(), factor)))
                .withReward(reward.withSteps(scale(reward.steps(), factor)))
                .withPpo(ppo.withIterations(scale(ppo.iterations(), factor)))
                .withDpo(dpo.withSteps(scale(dpo.steps(), factor)))
                .withGrpo(grpo.withIterations(scale(grpo.iterations(), factor)));
    }

    private static int scale(int steps, double factor) {
        return (int) Math.max(1, Math.round(steps * factor));
    }

    private static void positive(String name, int v) {
        if (v < 1) {
            throw new IllegalArgumentException("RecipeConfig: " + name + " must be >= 1 but was " + v);
        }
    }

    private static void rate(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("RecipeConfig: " + name + " must be finite and > 0 but was " + v);
        }
    }
}
