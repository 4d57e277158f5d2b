package dev.tessera.rlhf.grpo;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import dev.tessera.nn.Parameter;
import dev.tessera.rlhf.data.Minibatches;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.math.LogProbs;
import dev.tessera.rlhf.model.SharedParameters;
import dev.tessera.rlhf.ppo.GuardedStep;
import dev.tessera.rlhf.ppo.RewardFunction;
import dev.tessera.rlhf.ppo.Rollouts;
import dev.tessera.rlhf.chat.ChatTemplate;
import dev.tessera.training.loop.OnNonFinite;
import dev.tessera.training.loop.StepGuard;
import dev.tessera.training.optim.OptimizerSettings;
import dev.tessera.training.optim.AdamW;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GRPO or RLOO ({@link GroupMethod}), one {@link #step} per batch of prompts, without a value model:
 * <ol>
 *   <li>sample k completions of every prompt from the policy through the training module's
 *       {@code Generator} ({@link Rollouts#sample}, as PPO), seeded from this trainer's generator;</li>
 *   <li>score them ({@link RewardFunction}: the reward model, or a rule);</li>
 *   <li>without gradients, minibatch by minibatch in the first epoch's order: the policy's and the
 *       frozen reference's per-token log-probs (so the first minibatch's ratio is exactly 1);</li>
 *   <li>advantages per completion from its group's scores ({@link GroupAdvantages}): GRPO
 *       normalises within the group; RLOO first subtracts β·Σ_t (logp − ref) from each score and
 *       then the leave-one-out baseline;</li>
 *   <li>epochs × minibatches of {@link GroupPolicyLoss} (PPO's clipped ratio with the completion's
 *       advantage on each of its tokens, plus GRPO's β·k3), AdamW with global-norm clipping and
 *       the non-finite guard that PPO and the training loop use ({@link StepGuard}).</li>
 * </ol>
 * RLOO uses the PPO clip, so that several epochs or minibatches stay safe; with one epoch and one
 * minibatch the ratio is 1, the clip never acts, and the update is the paper's REINFORCE with the
 * leave-one-out baseline, with each completion's log-probability averaged over its tokens rather
 * than summed (the aggregation GRPO uses, kept the same for both so that they differ in the
 * baseline and the place of the KL only).
 *
 * <p>The policy runs in eval mode (no dropout), as in PPO. For a {@link
 * dev.tessera.rlhf.model.LoraLm} policy only the adapters are trained and the reference may be
 * its {@code base()}.
 */
public final class GroupPolicyTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(GroupPolicyTrainer.class);
    private final CausalLm policy;
    private final CausalLm reference;
    private final RewardFunction reward;
    private final GroupConfig config;
    private final ChatTemplate chat;
    private final Rng rng;
    private final Map<String, Parameter> trained;
    private final AdamW optimizer;
    private final GuardedStep guard;
    private int iteration;

    /**
     * @param policy the model being optimised (initialised from the SFT model)
     * @param reference the frozen SFT model (never updated; run without gradients)
     * @param reward scores completions
     * @param optimizer AdamW settings for the policy's trainable parameters (its schedule is not used: one rate throughout)
     * @param maxGradNorm the global gradient norm each minibatch step is clipped to, &gt; 0 (+inf: no clipping)
     * @param onNonFinite what a non-finite loss or gradient does: stop with an exception, or skip the step
     * @param rng draws the sampling seeds and the minibatch orders
     */
    public GroupPolicyTrainer(CausalLm policy, CausalLm reference, RewardFunction reward, GroupConfig config,
            OptimizerSettings optimizer, double maxGradNorm, OnNonFinite onNonFinite, ChatTemplate chat, Rng rng) {
        if (policy == null || reference == null || reward == null || config == null || optimizer == null
                || onNonFinite == null || chat == null || rng == null) {
            throw new IllegalArgumentException("GroupPolicyTrainer: no argument may be null");
        }
        if (!(maxGradNorm > 0)) {
            throw new IllegalArgumentException("GroupPolicyTrainer: maxGradNorm must be > 0 (or +inf) but was " + maxGradNorm);
        }
        SharedParameters.requireNone("GroupPolicyTrainer", "reference", reference.module(), "policy",
                policy.trainableParameters());
        this.policy = policy;
        this.reference = reference;
        this.reward = reward;
        this.config = config;
        this.chat = chat;
        this.rng = rng;
        this.trained = policy.trainableParameters();
        this.optimizer = optimizer.optimizer(trained);
        this.guard = new GuardedStep(trained, this.optimizer, maxGradNorm, onNonFinite, LOG);
    }

    /** k completions of each raw prompt, group by group (rows [g·k, (g + 1)·k) answer prompt g). */
    public Rollouts rollout(List<int[]> rawPrompts) {
        List<int[]> repeated = new ArrayList<>();
        for (int[] p : rawPrompts) {
            for (int j = 0; j < config.groupSize(); j++) {
                repeated.add(p);
            }
        }
        return Rollouts.sample(policy, chat, repeated, config.temperature(), config.maxNewTokens(), config.completions(), rng);
    }

    /** One iteration on {@code prompts} raw prompts. */
    public GroupStats step(List<int[]> rawPrompts) {
        if (rawPrompts == null || rawPrompts.size() != config.prompts()) {
            throw new IllegalArgumentException("GroupPolicyTrainer.step: expected prompts = " + config.prompts()
                    + " prompts but got " + (rawPrompts == null ? "null" : rawPrompts.size()));
        }
        Rollouts ro = rollout(rawPrompts);
        return optimise(ro, reward.score(ro));
    }

    /** Steps 3–5 on given completions (grouped as {@link #rollout} makes them) and their scores. */
    public GroupStats optimise(Rollouts ro, double[] scores) {
        SequenceBatch batch = ro.batch();
        int b = batch.batchSize();
        if (b != config.completions()) {
            throw new IllegalArgumentException("GroupPolicyTrainer: expected prompts × groupSize = " + config.completions()
                    + " completions but got " + b);
        }
        if (scores == null || scores.length != b) {
            throw new IllegalArgumentException("GroupPolicyTrainer: scores must have one entry per completion (" + b
                    + ") but has " + (scores == null ? "none" : scores.length));
        }
        for (int i = 0; i < b; i++) {
            if (!Double.isFinite(scores[i])) {
                throw new IllegalArgumentException("GroupPolicyTrainer: scores[" + i + "] must be finite but was "
                        + scores[i] + "; nothing was updated");
            }
        }
        DataType dt = policy.dtype();
        policy.module().eval();
        reference.module().eval();
        INDArray mask = batch.targetMask(dt); // (B, T-1)
        int[][] first = Minibatches.shuffled(b, config.minibatchSize(), rng);

        // 3. sampling-time log-probs of the policy and the reference
        INDArray oldLogp = Nd4j.zeros(dt, mask.shape());
        INDArray refLogp = Nd4j.zeros(dt, mask.shape());
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int[] mb : first) {
                SequenceBatch sub = batch.select(mb);
                Minibatches.putRows(oldLogp, mb, logProbs(policy, sub).data());
                Minibatches.putRows(refLogp, mb, logProbs(reference, sub).data());
            }
        }

        // 4. advantages, one per completion
        double[] klSeq = HostMemory.toDoubleArray(oldLogp.sub(refLogp).muli(mask).sum(1)); // (B) Σ_t k1
        double klPerSequence = Arrays.stream(klSeq).sum() / b;
        if (!Double.isFinite(klPerSequence)) {
            throw new IllegalStateException("GroupPolicyTrainer iteration " + (iteration + 1) + ": the completions' KL to"
                    + " the reference is " + klPerSequence + " (a log-probability of a sampled token is not finite);"
                    + " nothing was updated");
        }
        double[] advantages;
        if (config.method() == GroupMethod.GRPO) {
            advantages = GroupAdvantages.groupNormalised(scores, config.groupSize(), config.advantageEps());
        } else {
            double[] penalised = new double[b];
            for (int i = 0; i < b; i++) {
                penalised[i] = scores[i] - config.beta() * klSeq[i];
            }
            advantages = GroupAdvantages.leaveOneOut(penalised, config.groupSize());
        }
        int flat = 0;
        for (int g = 0; g < b; g += config.groupSize()) {
            boolean same = true;
            for (int i = g + 1; i < g + config.groupSize(); i++) {
                same &= scores[i] == scores[g];
            }
            flat += same ? 1 : 0;
        }
        double lossBeta = config.method() == GroupMethod.GRPO ? config.beta() : 0.0;
        iteration++;

        // 5. epochs × minibatches
        double lossSum = 0, clipSum = 0, klSum = 0, firstRatio = Double.NaN;
        int steps = 0, skipped = 0;
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            int[][] order = epoch == 0 ? first : Minibatches.shuffled(b, config.minibatchSize(), rng);
            for (int[] mb : order) {
                SequenceBatch sub = batch.select(mb);
                optimizer.zeroGrad();
                Tensor logp = logProbs(policy, sub); // (b, T-1)
                double[] adv = new double[mb.length];
                for (int i = 0; i < mb.length; i++) {
                    adv[i] = advantages[mb[i]];
                }
                GroupPolicyLoss.Result r = GroupPolicyLoss.compute(logp,
                        Tensor.constant(Minibatches.rows(oldLogp, mb)), Tensor.constant(Minibatches.rows(refLogp, mb)),
                        Nd4j.createFromArray(adv), Tensor.constant(Minibatches.rows(mask, mb)),
                        config.clipEps(), lossBeta);
                double loss = r.loss().item();
                String where = config.method() + " iteration " + iteration + ", epoch " + epoch + ", minibatch step "
                        + (steps + skipped + 1);
                if (!guard.backward(r.loss(), where).ok()) {
                    skipped++;
                    continue;
                }
                if (steps == 0) {
                    firstRatio = r.meanRatio();
                }
                optimizer.step();
                steps++;
                lossSum += loss;
                clipSum += r.clipFraction();
                klSum += r.meanKl();
            }
        }
        double meanScore = Arrays.stream(scores).sum() / b;
        double meanLength = 0;
        for (int[] resp : ro.responses()) {
            meanLength += (double) resp.length / b;
        }
        double applied = steps == 0 ? Double.NaN : steps;
        GroupStats stats = new GroupStats(iteration, meanScore, klPerSequence, lossSum / applied, clipSum / applied,
                klSum / applied, firstRatio, flat, steps, skipped, meanLength);
        LOG.info("{} iteration {}: score {} KL {} loss {} clip {} flat groups {} steps {}{}", config.method(), iteration,
                fmt(meanScore), fmt(klPerSequence), fmt(stats.loss()), fmt(stats.clipFraction()), flat, steps,
                skipped == 0 ? "" : " (" + skipped + " skipped: non-finite)");
        return stats;
    }

    /** Per-token log-probs (b, T − 1) of {@code sub}'s tokens under the model's logits / τ. */
    private Tensor logProbs(CausalLm model, SequenceBatch sub) {
        Tensor logits = model.forward(sub.ids()); // (b, T, V)
        if (config.temperature() != 1.0) {
            logits = logits.mul(1.0 / config.temperature());
        }
        return LogProbs.ofSequence(logits, sub.ids());
    }

    private static String fmt(double v) {
        return String.format("%.4f", v);
    }

    public GroupConfig config() {
        return config;
    }

    public int iteration() {
        return iteration;
    }
}
