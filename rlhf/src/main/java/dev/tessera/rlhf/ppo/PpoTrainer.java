package dev.tessera.rlhf.ppo;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Parameter;
import dev.tessera.rlhf.chat.ChatTemplate;
import dev.tessera.rlhf.data.Minibatches;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.math.Entropy;
import dev.tessera.rlhf.math.KlEstimator;
import dev.tessera.rlhf.math.KlPenalty;
import dev.tessera.rlhf.math.LogProbs;
import dev.tessera.rlhf.math.Masked;
import dev.tessera.rlhf.model.SharedParameters;
import dev.tessera.rlhf.model.ValueModel;
import dev.tessera.training.checkpoint.Checkpoint;
import dev.tessera.training.checkpoint.CheckpointStore;
import dev.tessera.training.checkpoint.TrainingState;
import dev.tessera.training.loop.StepGuard;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.TrainingListener;
import dev.tessera.training.loss.CausalLmLoss;
import dev.tessera.training.loss.CrossEntropyOptions;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.JointOptimizer;
import dev.tessera.training.optim.LrSchedule;
import dev.tessera.training.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PPO for RLHF (Ziegler et al. 2019; InstructGPT, Ouyang et al. 2022), one {@link #step} per
 * rollout batch:
 * <ol>
 *   <li>sample a response per prompt from the policy (KV cache, no gradients);</li>
 *   <li>score the rollouts ({@link RewardFunction}, e.g. the reward model);</li>
 *   <li>without gradients: per-token log-probs of the policy and the frozen reference model,
 *       values; computed minibatch by minibatch in exactly the order of the first epoch, so the
 *       first minibatch's probability ratio is exactly 1;</li>
 *   <li>rewards r_t = −β·KL_t + score at the last token ({@link TokenRewards}), GAE
 *       ({@link Gae}), advantage whitening ({@link Masked#whiten});</li>
 *   <li>epochs × minibatches of loss = clipped policy loss + c_v·clipped value loss
 *       − c_e·entropy + γ_ptx·pretraining LM loss; global-norm clipping and the non-finite check
 *       of the training module's loop ({@link StepGuard}), then one AdamW step for the policy and
 *       one for the critic, each at its own scheduled rate ({@link PpoOptimization}); stopping the
 *       iteration early once the approximate KL to the rollout policy exceeds the bound;</li>
 *   <li>update β with the {@link KlController} from the measured KL to the reference.</li>
 * </ol>
 * All models run in eval mode (no dropout): PPO's ratio compares two forwards of the same policy
 * and dropout noise would make it differ from 1 without any update.
 *
 * <p>Temperature: rollouts are sampled from softmax(logits / τ) with τ = {@link PpoConfig#temperature()},
 * and every log-probability (the policy's, old and new, and the reference's), hence the KL penalty,
 * the probability ratio and the entropy, is taken under logits / τ as well. The ratio must compare
 * the distribution the tokens were actually drawn from; at τ ≠ 1 the untempered log-probs would
 * make it an off-policy estimate. The PPO-ptx language-model loss stays at τ = 1.
 *
 * <p>Sequence layout: log-probs, values, rewards and masks are (B, T − 1) with column t
 * belonging to token t + 1 (see {@link SequenceBatch#targetMask}); the value in column t is read
 * from the hidden state at t, the state before token t + 1 is chosen.
 */
public final class PpoTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(PpoTrainer.class);
    private static final String RNG = "ppo_sampling";
    private static final String BETA = "kl_beta";
    private final CausalLm policy;
    private final CausalLm reference;
    private final ValueModel valueModel;
    private final RewardFunction reward;
    private final KlController kl;
    private final PpoConfig config;
    private final PpoOptimization optimization;
    private final ChatTemplate chat;
    private final Supplier<INDArray> ptxBatches;
    private final Rng rng;
    private final AdamW policyOptimizer;
    private final AdamW criticOptimizer;
    private final LrSchedule policySchedule;
    private final LrSchedule criticSchedule;
    private final Map<String, Parameter> trained;
    private final PpoModels models;
    private final JointOptimizer optimizers;
    private final GuardedStep guard;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private int iteration;

    /**
     * @param policy the model being optimised (initialised from the SFT model)
     * @param reference the frozen SFT model (never updated; run without gradients)
     * @param valueModel the critic (its own parameters are trained; a shared trunk is the policy's)
     * @param reward scores rollouts
     * @param kl chooses β
     * @param optimization the policy's and the critic's optimizer settings and schedules, clipping, non-finite policy
     * @param ptxBatches pretraining batches (b, T) of token ids for PPO-ptx, or null when ptxCoef = 0
     */
    public PpoTrainer(CausalLm policy, CausalLm reference, ValueModel valueModel, RewardFunction reward, KlController kl,
            PpoConfig config, PpoOptimization optimization, ChatTemplate chat, Supplier<INDArray> ptxBatches, Rng rng) {
        if (policy == null || reference == null || valueModel == null || reward == null || kl == null || config == null
                || optimization == null || chat == null || rng == null) {
            throw new IllegalArgumentException("PpoTrainer: only ptxBatches may be null");
        }
        SharedParameters.requireNone("PpoTrainer", "reference", reference.module(), "policy",
                policy.trainableParameters());
        SharedParameters.requireNone("PpoTrainer", "reference", reference.module(), "value model", valueModel);
        if (config.ptxCoef() > 0 && ptxBatches == null) {
            throw new IllegalArgumentException("PpoTrainer: ptxCoef is " + config.ptxCoef() + " but no pretraining batches were given");
        }
        this.policy = policy;
        this.reference = reference;
        this.valueModel = valueModel;
        this.reward = reward;
        this.kl = kl;
        this.config = config;
        this.optimization = optimization;
        this.chat = chat;
        this.ptxBatches = ptxBatches;
        this.rng = rng;
        Map<String, Parameter> policyParams = new LinkedHashMap<>();
        policy.trainableParameters().forEach((k, v) -> policyParams.put("policy." + k, v)); // adapters alone for LoRA
        Map<String, Parameter> criticParams = new LinkedHashMap<>();
        valueModel.namedParameters().forEach((k, v) -> criticParams.put("value." + k, v));
        Map<String, Parameter> params = new LinkedHashMap<>(policyParams);
        params.putAll(criticParams);
        this.trained = params;
        // AdamW updates every element on its own, so two optimizers at one rate step exactly as one over both
        this.policyOptimizer = optimization.policy().optimizer(policyParams);
        this.criticOptimizer = optimization.critic().optimizer(criticParams);
        this.policySchedule = optimization.policy().schedule(optimization.iterations());
        this.criticSchedule = optimization.critic().schedule(optimization.iterations());
        this.models = new PpoModels(policy.module(), valueModel);
        Map<String, Optimizer> parts = new LinkedHashMap<>();
        parts.put("policy", policyOptimizer);
        parts.put("critic", criticOptimizer);
        this.optimizers = new JointOptimizer(parts);
        this.guard = new GuardedStep(trained, optimizers, optimization.maxGradNorm(), optimization.onNonFinite(), LOG);
    }

    /**
     * Saves a checkpoint with the training module's {@link CheckpointStore}: the policy's and the
     * critic's weights, both optimizers' state, the iterations done, the sampling generator and β.
     * (The prompts and the reward function are the caller's: a resumed caller must draw the same
     * prompts again for the run to continue exactly.)
     */
    public Path checkpoint(CheckpointStore store) throws IOException {
        // the weights saved are the modules' state dicts: trained parameters outside them (LoRA adapters) would be lost
        Set<Parameter> saved = Collections.newSetFromMap(new IdentityHashMap<>());
        saved.addAll(models.namedParameters().values());
        for (Map.Entry<String, Parameter> e : trained.entrySet()) {
            if (!saved.contains(e.getValue())) {
                throw new IllegalStateException("PpoTrainer.checkpoint: the trained parameter '" + e.getKey() + "' is not"
                        + " in the policy's module, so a checkpoint would not hold it; save LoRA adapters with Lora.save");
            }
        }
        TrainingState state = new TrainingState(iteration, Map.of(RNG, rng.state()), Map.of(), Map.of(BETA, kl.beta()));
        return store.save(models, optimizers, state);
    }

    /**
     * Restores a {@link #checkpoint}. All or nothing: when a part is rejected (a weight's shape, an
     * optimizer moment, a missing generator state or β) this trainer is left as it was.
     */
    public void restore(Checkpoint c) {
        TrainingState s = c.state();
        if (!s.rngStates().containsKey(RNG) || !s.scalars().containsKey(BETA)) {
            throw new IllegalArgumentException("checkpoint " + c.dir() + " is not a PPO checkpoint: it lacks the '" + RNG
                    + "' generator state or '" + BETA + "'");
        }
        Map<String, INDArray> weights = new LinkedHashMap<>();
        models.stateDict().forEach((name, w) -> weights.put(name, w.dup()));
        Map<String, INDArray> optimizerState = optimizers.stateDict();
        long[] rngState = rng.state();
        double beta = kl.beta();
        try {
            CheckpointStore.restore(c, models, optimizers);
            rng.setState(s.rngStates().get(RNG));
            kl.restoreBeta(s.scalars().get(BETA));
        } catch (RuntimeException e) {
            models.loadStateDict(weights, true);
            optimizers.loadStateDict(optimizerState);
            rng.setState(rngState);
            kl.restoreBeta(beta);
            throw e;
        }
        iteration = Math.toIntExact(s.step());
        LOG.info("resumed PPO from {} at iteration {}", c.dir(), iteration);
    }

    /** Progress callbacks: one {@link StepMetrics} per iteration (the trainer's listener type, so one progress display serves both). */
    public void addListener(TrainingListener l) {
        listeners.add(l);
    }

    /** Samples rollouts for raw prompts (content tokens; the chat format is applied here). */
    public Rollouts rollout(List<int[]> rawPrompts) {
        return Rollouts.sample(policy, chat, rawPrompts, config.temperature(), config.maxNewTokens(), config.rolloutBatch(), rng);
    }

    /** One PPO iteration on {@code rolloutBatch} raw prompts. */
    public PpoStats step(List<int[]> rawPrompts) {
        if (rawPrompts.size() != config.rolloutBatch()) {
            throw new IllegalArgumentException("PpoTrainer.step: expected rolloutBatch = " + config.rolloutBatch()
                    + " prompts but got " + rawPrompts.size());
        }
        Rollouts ro = rollout(rawPrompts);
        return optimise(ro, reward.score(ro));
    }

    /** Steps 3–6 of the iteration on given rollouts and their scores (public for tests and custom loops). */
    public PpoStats optimise(Rollouts ro, double[] scores) {
        SequenceBatch batch = ro.batch();
        int b = batch.batchSize();
        if (scores == null || scores.length != b) {
            throw new IllegalArgumentException("PpoTrainer: scores must have one entry per rollout (" + b + ") but has "
                    + (scores == null ? "none" : scores.length));
        }
        if (b != config.rolloutBatch()) {
            throw new IllegalArgumentException("PpoTrainer: expected rolloutBatch = " + config.rolloutBatch()
                    + " rollouts but got " + b);
        }
        TokenRewards.checkFinite("PpoTrainer", scores); // before anything changes
        long t0 = System.nanoTime();
        DataType dt = policy.dtype();
        policy.module().eval();
        reference.module().eval();
        valueModel.eval();
        INDArray mask = batch.targetMask(dt); // (B, T-1)
        int[][] first = Minibatches.shuffled(b, config.minibatchSize(), rng);

        // 3. rollout-time quantities, minibatch by minibatch in the first epoch's order
        INDArray oldLogp = Nd4j.zeros(dt, mask.shape());
        INDArray refLogp = Nd4j.zeros(dt, mask.shape());
        INDArray oldValues = Nd4j.zeros(dt, mask.shape());
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int[] mb : first) {
                SequenceBatch sub = batch.select(mb);
                Forward f = forward(sub);
                Tensor ref = LogProbs.ofSequence(tempered(reference.forward(sub.ids())), sub.ids());
                Minibatches.putRows(oldLogp, mb, f.logp.data());
                Minibatches.putRows(oldValues, mb, f.values.data());
                Minibatches.putRows(refLogp, mb, ref.data());
            }
        }

        // 4. rewards, advantages, returns
        Tensor maskT = Tensor.constant(mask);
        Tensor klTokens = KlPenalty.perToken(Tensor.constant(oldLogp), Tensor.constant(refLogp), config.klEstimator());
        double beta = kl.beta();
        INDArray rewards = TokenRewards.compute(Nd4j.createFromArray(scores).castTo(dt), klTokens.data(), mask, beta,
                config.shaping());
        Gae.Result gae = Gae.compute(rewards, oldValues, mask, config.gamma(), config.lambda());
        INDArray advantages = config.whitenAdvantages()
                ? Masked.whiten(Tensor.constant(gae.advantages()), maskT, true).data()
                : gae.advantages();
        Tensor k1 = KlPenalty.perToken(Tensor.constant(oldLogp), Tensor.constant(refLogp), KlEstimator.K1);
        double klPerSequence = Masked.sum(k1, maskT).item() / b;
        if (!Double.isFinite(klPerSequence)) {
            throw new IllegalStateException("PPO iteration " + (iteration + 1) + ": the rollouts' KL to the reference is "
                    + klPerSequence + " (a policy or reference log-probability of a sampled token is not finite);"
                    + " nothing was updated");
        }
        double policyLr = policySchedule.lr(iteration);
        double criticLr = criticSchedule.lr(iteration);
        policyOptimizer.setLearningRate(policyLr);
        criticOptimizer.setLearningRate(criticLr);
        iteration++;

        // 5. epochs × minibatches
        double pgSum = 0, vfSum = 0, entSum = 0, clipSum = 0, ptxSum = 0, approxKl = 0;
        double firstMin = Double.NaN, firstMax = Double.NaN, gradNorm = Double.NaN;
        int steps = 0, skipped = 0;
        boolean stopped = false;
        policy.module().eval();
        outer:
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            int[][] order = epoch == 0 ? first : Minibatches.shuffled(b, config.minibatchSize(), rng);
            for (int[] mb : order) {
                SequenceBatch sub = batch.select(mb);
                Tensor m = Tensor.constant(Minibatches.rows(mask, mb));
                zeroGrad();
                Forward f = forward(sub);
                PolicyLoss.Result pl = PolicyLoss.clipped(f.logp, Tensor.constant(Minibatches.rows(oldLogp, mb)),
                        Tensor.constant(Minibatches.rows(advantages, mb)), m, config.clipEps());
                ValueLoss.Result vl = ValueLoss.clipped(f.values, Tensor.constant(Minibatches.rows(oldValues, mb)),
                        Tensor.constant(Minibatches.rows(gae.returns(), mb)), m, config.valueClip());
                Tensor entropy = Masked.mean(Entropy.fromLogits(f.predicting), m);
                Tensor loss = pl.loss().add(vl.loss().mul(config.valueCoef()));
                if (config.entropyCoef() > 0) {
                    loss = loss.sub(entropy.mul(config.entropyCoef()));
                }
                if (config.ptxCoef() > 0) {
                    INDArray ptx = ptxBatches.get();
                    Tensor lm = CausalLmLoss.loss(policy.forward(ptx), ptx, CrossEntropyOptions.defaults()).loss();
                    ptxSum += lm.item();
                    loss = loss.add(lm.mul(config.ptxCoef()));
                }
                double total = loss.item();
                String where = "PPO iteration " + iteration + ", epoch " + epoch + ", minibatch step " + (steps + skipped + 1);
                if (!Double.isFinite(total)) {
                    where += " (policy loss " + pl.loss().item() + ", value loss " + vl.loss().item() + ")";
                }
                StepGuard.Verdict verdict = guard.backward(loss, where);
                if (Double.isFinite(total)) {
                    gradNorm = verdict.gradNorm(); // the last measured norm, reported to the listeners
                }
                if (!verdict.ok()) {
                    skipped++;
                    continue;
                }
                if (steps == 0) {
                    firstMin = pl.minRatio();
                    firstMax = pl.maxRatio();
                }
                optimizers.step();
                steps++;
                pgSum += pl.loss().item();
                vfSum += vl.loss().item();
                entSum += entropy.item();
                clipSum += pl.clipFraction();
                approxKl = pl.approxKl();
                if (approxKl > config.klStopBound()) {
                    stopped = true;
                    LOG.debug("PPO iteration {}: approx KL {} > bound {}, stopping after {} minibatch steps", iteration,
                            approxKl, config.klStopBound(), steps);
                    break outer;
                }
            }
        }

        // 6. β for the next iteration
        kl.update(klPerSequence, b);
        double meanScore = 0, meanLength = 0;
        for (int i = 0; i < b; i++) {
            meanScore += scores[i] / b;
            meanLength += (double) ro.responses().get(i).length / b;
        }
        double applied = steps == 0 ? Double.NaN : steps; // means over applied steps: NaN when all were skipped
        PpoStats stats = new PpoStats(iteration, meanScore, klPerSequence, beta, pgSum / applied, vfSum / applied,
                entSum / applied, clipSum / applied, approxKl, firstMin, firstMax, steps, stopped,
                config.ptxCoef() > 0 ? ptxSum / applied : Double.NaN, meanLength, skipped);
        LOG.info("PPO iteration {}: score {} KL {} beta {} policy loss {} value loss {} clip {} steps {}{}{}", iteration,
                fmt(meanScore), fmt(klPerSequence), fmt(beta), fmt(stats.policyLoss()), fmt(stats.valueLoss()),
                fmt(stats.clipFraction()), steps, stopped ? " (early stop)" : "",
                skipped == 0 ? "" : " (" + skipped + " skipped: non-finite)");
        if (!listeners.isEmpty()) {
            long tokens = 0;
            for (int[] r : ro.responses()) {
                tokens += r.length;
            }
            Map<String, Double> metrics = new LinkedHashMap<>();
            metrics.put("score", meanScore);
            metrics.put("kl", klPerSequence);
            metrics.put("beta", beta);
            metrics.put("value_loss", stats.valueLoss());
            metrics.put("entropy", stats.entropy());
            metrics.put("clip_fraction", stats.clipFraction());
            metrics.put("critic_lr", criticLr);
            StepMetrics m = new StepMetrics(iteration, optimization.iterations(), stats.policyLoss(), policyLr, gradNorm,
                    tokens, (System.nanoTime() - t0) / 1e9, metrics);
            for (TrainingListener l : listeners) {
                l.onStep(m);
            }
        }
        return stats;
    }

    /** Policy log-probs (b, T−1), values (b, T−1) and the predicting logits / τ (b, T−1, V) of one minibatch. */
    private record Forward(Tensor logp, Tensor values, Tensor predicting) {}

    private Forward forward(SequenceBatch sub) {
        INDArray ids = sub.ids();
        long t = ids.size(1);
        Tensor hidden = policy.hidden(ids, null); // (b, T, C)
        Tensor logits = tempered(policy.logits(hidden)); // (b, T, V)
        Tensor logp = LogProbs.ofSequence(logits, ids); // (b, T-1)
        Tensor values = valueModel.values(hidden, ids).slice(1, 0, t - 1); // (b, T-1)
        return new Forward(logp, values, logits.slice(1, 0, t - 1));
    }

    /** logits / τ, the distribution rollouts are sampled from (the same tensor at τ = 1). */
    private Tensor tempered(Tensor logits) {
        return config.temperature() == 1.0 ? logits : logits.mul(1.0 / config.temperature());
    }

    private void zeroGrad() {
        optimizers.zeroGrad();
    }

    private static String fmt(double v) {
        return String.format("%.4f", v);
    }

    public KlController klController() {
        return kl;
    }

    public int iteration() {
        return iteration;
    }
}
