package dev.tessera.rlhf.demo;

import dev.tessera.attention.model.GptConfig;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.dpo.DpoTrainer;
import dev.tessera.rlhf.dpo.PreferencePair;
import dev.tessera.rlhf.model.CausalLm;
import dev.tessera.rlhf.model.GptLm;
import dev.tessera.rlhf.model.RewardModel;
import dev.tessera.rlhf.model.TrainSettings;
import dev.tessera.rlhf.model.ValueModel;
import dev.tessera.rlhf.ppo.AdaptiveKlController;
import dev.tessera.rlhf.ppo.PpoConfig;
import dev.tessera.rlhf.ppo.PpoStats;
import dev.tessera.rlhf.ppo.PpoTrainer;
import dev.tessera.rlhf.ppo.RewardModelScorer;
import dev.tessera.rlhf.ppo.RewardShaping;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.reward.RankedGroup;
import dev.tessera.rlhf.reward.RewardModelTrainer;
import dev.tessera.rlhf.sft.ChatFormat;
import dev.tessera.rlhf.sft.SftTrainer;
import dev.tessera.training.loss.CausalLmLoss;
import dev.tessera.training.loss.CrossEntropyOptions;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.GradClip;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RLHF recipe end to end on the synthetic task ({@link TaskGenerator}, {@link Labeller}):
 * pretrain a small GPT on an unlabelled corpus → SFT on noisy demonstrations → a reward model on
 * K-wise rankings by the labeller → PPO against the reward model (adaptive KL, PPO-ptx, value
 * head from the reward model) and, for comparison, DPO on preference pairs → labeller scores of
 * the SFT, PPO and DPO policies on held-out prompts.
 *
 * <p>Run {@link #main} on the rlhf module's runtime classpath, e.g. after
 * {@code mvn -o -q -pl rlhf dependency:build-classpath -Dmdep.outputFile=cp.txt}:
 * {@code java -cp rlhf/target/classes:$(cat cp.txt) dev.tessera.rlhf.demo.RlhfDemo --seed 42}.
 * Progress is logged through slf4j; the table is printed at the end.
 */
public final class RlhfDemo {
    private static final Logger LOG = LoggerFactory.getLogger(RlhfDemo.class);
    private static final int CONTEXT = 16;
    private static final int MAX_NEW_TOKENS = 8;
    private static final int K = 4;

    private RlhfDemo() {}

    /**
     * The figures of one run.
     *
     * @param pretrainLoss last pretraining loss (nats/token)
     * @param sftLoss last SFT loss
     * @param rmTrainAccuracy reward model pairwise accuracy on its training groups
     * @param rmHeldOutAccuracy pairwise accuracy on groups of held-out prompts
     * @param sftGreedy labeller score (and its parts) of the SFT policy's greedy answers to held-out prompts
     * @param ppoGreedy same for the PPO policy
     * @param dpoGreedy same for the DPO policy
     * @param sftSampled labeller score of answers sampled at temperature 1
     * @param ppoSampled same for PPO
     * @param dpoSampled same for DPO
     * @param ppoKl KL(PPO ‖ SFT) per response on held-out prompts (sampled)
     * @param dpoKl KL(DPO ‖ SFT)
     * @param ppo per-iteration PPO statistics
     * @param samples a few held-out prompts with the SFT and PPO answers
     */
    public record Report(double pretrainLoss, double sftLoss, double rmTrainAccuracy, double rmHeldOutAccuracy,
            Evaluation.Breakdown sftGreedy, Evaluation.Breakdown ppoGreedy, Evaluation.Breakdown dpoGreedy,
            Evaluation.Breakdown sftSampled, Evaluation.Breakdown ppoSampled, Evaluation.Breakdown dpoSampled,
            double ppoKl, double dpoKl, List<PpoStats> ppo, List<String> samples) {
        /** A printable table. */
        public String table(DemoConfig c) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("seed %d, GPT %d layers x %d wide, %d heads, %d held-out prompts%n", c.seed(), c.nLayer(),
                    c.nEmbd(), c.nHead(), c.heldOut()));
            sb.append(String.format("pretraining loss              %.4f%n", pretrainLoss));
            sb.append(String.format("SFT loss                      %.4f%n", sftLoss));
            sb.append(String.format("RM pairwise accuracy train    %.3f%n", rmTrainAccuracy));
            sb.append(String.format("RM pairwise accuracy held-out %.3f%n", rmHeldOutAccuracy));
            sb.append("labeller score on held-out prompts, greedy | sampled (T = 1):\n");
            sb.append(String.format("  SFT  %s | %s%n", sftGreedy, sftSampled));
            sb.append(String.format("  PPO  %s | %s   KL to SFT %.3f nats (target %.2f)%n", ppoGreedy, ppoSampled, ppoKl,
                    c.klTarget()));
            sb.append(String.format("  DPO  %s | %s   KL to SFT %.3f nats%n", dpoGreedy, dpoSampled, dpoKl));
            sb.append("samples (greedy):\n");
            for (String s : samples) {
                sb.append(s).append(System.lineSeparator());
            }
            return sb.toString();
        }
    }

    public static Report run(DemoConfig c) {
        Rng root = new Rng(c.seed());
        TaskGenerator gen = new TaskGenerator(2, 3, 0.7, 0.3);
        ChatFormat chat = TaskVocabulary.chat();
        List<TaskPrompt> heldOut = gen.prompts(root.fork(), c.heldOut(), Set.of());
        Set<TaskPrompt> exclude = new HashSet<>(heldOut);
        Rng data = root.fork();

        // 1. pretraining: next-token prediction on packed documents "op digits result"
        GptConfig gc = new GptConfig(TaskVocabulary.SIZE, CONTEXT, c.nEmbd(), c.nLayer(), c.nHead(), 0.0, 1e-5);
        GptLm base = new GptLm(gc, root.fork(), DataType.FLOAT);
        Supplier<INDArray> corpus = packedCorpus(gen, data.fork(), exclude, c.batch());
        double pretrainLoss = pretrain(base, corpus, c.pretrainSteps(), 3e-3);
        LOG.info("pretraining: {} steps, loss {}", c.pretrainSteps(), pretrainLoss);

        // 2. SFT on noisy demonstrations
        GptLm sft = base.copy();
        SftTrainer sftTrainer = new SftTrainer(sft, chat, TrainSettings.of(2e-3));
        double sftLoss = Double.NaN;
        Rng demoRng = data.fork();
        for (int step = 0; step < c.sftSteps(); step++) {
            List<int[]> prompts = new ArrayList<>();
            List<int[]> responses = new ArrayList<>();
            for (TaskPrompt p : gen.prompts(demoRng, c.batch(), exclude)) {
                prompts.add(p.tokens());
                responses.add(gen.demonstration(p, demoRng));
            }
            sftLoss = sftTrainer.step(prompts, responses).loss().item();
        }
        LOG.info("SFT: {} steps, loss {}", c.sftSteps(), sftLoss);

        // 3. reward model on K-wise rankings, initialised from the SFT model
        Rng rankRng = data.fork();
        int groupsPerStep = c.batch() / 2;
        List<RankedGroup> rmTrain = groups(gen, gen.prompts(rankRng, Math.max(4 * groupsPerStep, c.rmSteps() * 8), exclude), rankRng);
        List<RankedGroup> rmHeldOut = groups(gen, heldOut, rankRng);
        RewardModel rm = new RewardModel(sft.copy(), root.fork());
        RewardModelTrainer rmTrainer = new RewardModelTrainer(rm, TrainSettings.of(1.5e-3), TaskVocabulary.PAD);
        for (int step = 0; step < c.rmSteps(); step++) {
            int from = (step * groupsPerStep) % (rmTrain.size() - groupsPerStep + 1);
            rmTrainer.step(rmTrain.subList(from, from + groupsPerStep));
        }
        SequenceBatch reference = RewardModelTrainer.rows(rmTrain.subList(0, Math.min(rmTrain.size(), 128)), TaskVocabulary.PAD);
        rm.normalise(reference.ids(), reference.lengths(), 64);
        rm.eval();
        double rmTrainAcc = RewardModelTrainer.pairwiseAccuracy(rm, rmTrain, TaskVocabulary.PAD, 32);
        double rmHeldAcc = RewardModelTrainer.pairwiseAccuracy(rm, rmHeldOut, TaskVocabulary.PAD, 32);
        LOG.info("reward model: pairwise accuracy train {}, held-out {}", rmTrainAcc, rmHeldAcc);

        // 4. PPO against the reward model
        GptLm policy = sft.copy();
        GptLm frozen = sft.copy();
        AdaptiveKlController kl = new AdaptiveKlController(0.3, c.klTarget(), 2.0 * c.batch());
        PpoConfig ppoConfig = new PpoConfig(c.batch(), c.batch() / 2, 4, 0.2, 0.2, 1.0, 0.95, 0.1, 0.0,
                dev.tessera.rlhf.math.KlEstimator.K1, 2.0, c.ptxCoef(), true, MAX_NEW_TOKENS, 1.0,
                new RewardShaping(0, 1, 5));
        PpoTrainer ppo = new PpoTrainer(policy, frozen, ValueModel.sharedTrunkWithRewardHead(policy, rm),
                new RewardModelScorer(rm), kl, ppoConfig, TrainSettings.of(c.ppoLearningRate()), chat,
                c.ptxCoef() > 0 ? packedCorpus(gen, data.fork(), exclude, 8) : null, root.fork());
        List<PpoStats> stats = new ArrayList<>();
        Rng promptRng = data.fork();
        for (int it = 0; it < c.ppoIterations(); it++) {
            List<int[]> prompts = new ArrayList<>();
            for (TaskPrompt p : gen.prompts(promptRng, c.batch(), exclude)) {
                prompts.add(p.tokens());
            }
            stats.add(ppo.step(prompts));
        }

        // 5. DPO on preference pairs (best vs each worse candidate of the ranking data)
        GptLm dpoPolicy = sft.copy();
        List<PreferencePair> pairs = new ArrayList<>();
        for (RankedGroup g : rmTrain) {
            for (int j = 1; j < g.k(); j++) {
                pairs.add(new PreferencePair(g.prompt(), g.responses().get(0), g.responses().get(j)));
            }
        }
        DpoTrainer dpo = new DpoTrainer(dpoPolicy, sft, pairs, 0.1, 0, TrainSettings.of(5e-4), TaskVocabulary.PAD, 128);
        Rng dpoRng = data.fork();
        for (int step = 0; step < c.dpoSteps(); step++) {
            int[] idx = new int[c.batch()];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = dpoRng.nextInt(pairs.size());
            }
            dpo.step(idx);
        }

        // 6. held-out evaluation
        Rng evalRng = root.fork();
        List<int[]> sftAnswers = Evaluation.answer(sft, heldOut, MAX_NEW_TOKENS, 0, evalRng);
        List<int[]> ppoAnswers = Evaluation.answer(policy, heldOut, MAX_NEW_TOKENS, 0, evalRng);
        List<int[]> dpoAnswers = Evaluation.answer(dpoPolicy, heldOut, MAX_NEW_TOKENS, 0, evalRng);
        Evaluation.Breakdown sftSampled = Evaluation.breakdown(heldOut, Evaluation.answer(sft, heldOut, MAX_NEW_TOKENS, 1, evalRng));
        Evaluation.Breakdown ppoSampled = Evaluation.breakdown(heldOut, Evaluation.answer(policy, heldOut, MAX_NEW_TOKENS, 1, evalRng));
        Evaluation.Breakdown dpoSampled = Evaluation.breakdown(heldOut,
                Evaluation.answer(dpoPolicy, heldOut, MAX_NEW_TOKENS, 1, evalRng));
        double ppoKl = Evaluation.klToReference(policy, sft, heldOut, MAX_NEW_TOKENS, evalRng);
        double dpoKl = Evaluation.klToReference(dpoPolicy, sft, heldOut, MAX_NEW_TOKENS, evalRng);
        List<String> samples = new ArrayList<>();
        for (int i = 0; i < Math.min(4, heldOut.size()); i++) {
            samples.add(String.format("  %-22s SFT: %-26s PPO: %s", heldOut.get(i), TaskVocabulary.decode(sftAnswers.get(i)),
                    TaskVocabulary.decode(ppoAnswers.get(i))));
        }
        return new Report(pretrainLoss, sftLoss, rmTrainAcc, rmHeldAcc, Evaluation.breakdown(heldOut, sftAnswers),
                Evaluation.breakdown(heldOut, ppoAnswers), Evaluation.breakdown(heldOut, dpoAnswers), sftSampled, ppoSampled,
                dpoSampled, ppoKl, dpoKl, stats, samples);
    }

    private static List<RankedGroup> groups(TaskGenerator gen, List<TaskPrompt> prompts, Rng rng) {
        ChatFormat chat = TaskVocabulary.chat();
        List<RankedGroup> out = new ArrayList<>();
        for (TaskPrompt p : prompts) {
            out.add(new RankedGroup(chat.prompt(p.tokens()), gen.rankedCandidates(p, rng, K)));
        }
        return out;
    }

    /** Batches (b, 16) of documents packed end to end, separated by the end token: no padding. */
    static Supplier<INDArray> packedCorpus(TaskGenerator gen, Rng rng, Set<TaskPrompt> exclude, int b) {
        return () -> {
            int[] flat = new int[b * CONTEXT];
            int n = 0;
            while (n < flat.length) {
                TaskPrompt p = gen.randomPrompt(rng);
                if (exclude.contains(p)) {
                    continue;
                }
                for (int t : gen.pretrainingDocument(p)) {
                    if (n < flat.length) {
                        flat[n++] = t;
                    }
                }
                if (n < flat.length) {
                    flat[n++] = TaskVocabulary.END;
                }
            }
            return Nd4j.createFromArray(flat).reshape(b, CONTEXT);
        };
    }

    private static double pretrain(CausalLm model, Supplier<INDArray> corpus, int steps, double lr) {
        AdamW opt = TrainSettings.of(lr).optimizer(model.module().namedParameters());
        model.module().train(true);
        double loss = Double.NaN;
        for (int s = 0; s < steps; s++) {
            opt.zeroGrad();
            INDArray ids = corpus.get();
            Tensor l = CausalLmLoss.loss(model.forward(ids), ids, CrossEntropyOptions.defaults()).loss();
            l.backward();
            GradClip.clipGlobalNorm(model.module().parameters(), 1.0);
            opt.step();
            loss = l.item();
        }
        return loss;
    }

    /** {@code --seed N} (default 42) and {@code --scale F} (default 1: the reported run). */
    public static void main(String[] args) {
        DemoConfig c = DemoConfig.defaults();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--seed" -> c = c.withSeed(Long.parseLong(args[i + 1]));
                case "--scale" -> c = c.scaled(Double.parseDouble(args[i + 1]));
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (use --seed N, --scale F)");
            }
        }
        long t0 = System.nanoTime();
        Report r = run(c);
        System.out.print(r.table(c));
        System.out.printf("PPO iterations: score %.3f -> %.3f, KL %.3f -> %.3f, beta %.4f -> %.4f%n",
                r.ppo().isEmpty() ? Double.NaN : r.ppo().get(0).meanScore(),
                r.ppo().isEmpty() ? Double.NaN : r.ppo().get(r.ppo().size() - 1).meanScore(),
                r.ppo().isEmpty() ? Double.NaN : r.ppo().get(0).klToReference(),
                r.ppo().isEmpty() ? Double.NaN : r.ppo().get(r.ppo().size() - 1).klToReference(),
                r.ppo().isEmpty() ? Double.NaN : r.ppo().get(0).beta(),
                r.ppo().isEmpty() ? Double.NaN : r.ppo().get(r.ppo().size() - 1).beta());
        System.out.printf("total %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
}
