package dev.tessera.rlhf.pipeline;

import dev.tessera.attention.model.GptConfig;
import dev.tessera.backend.Backend;
import dev.tessera.core.Rng;
import dev.tessera.io.AtomicFiles;
import dev.tessera.rlhf.dpo.DpoLoss;
import dev.tessera.rlhf.dpo.DpoTrainer;
import dev.tessera.rlhf.dpo.PreferencePair;
import dev.tessera.rlhf.grpo.GroupConfig;
import dev.tessera.rlhf.grpo.GroupMethod;
import dev.tessera.rlhf.grpo.GroupPolicyTrainer;
import dev.tessera.rlhf.grpo.GroupStats;
import dev.tessera.rlhf.math.KlEstimator;
import dev.tessera.rlhf.model.DecoderLm;
import dev.tessera.rlhf.model.RewardModel;
import dev.tessera.rlhf.model.Sampler;
import dev.tessera.rlhf.model.TrainSettings;
import dev.tessera.rlhf.model.ValueModel;
import dev.tessera.rlhf.ppo.AdaptiveKlController;
import dev.tessera.rlhf.ppo.PpoConfig;
import dev.tessera.rlhf.ppo.PpoStats;
import dev.tessera.rlhf.ppo.PpoTrainer;
import dev.tessera.rlhf.ppo.RewardModelScorer;
import dev.tessera.rlhf.ppo.RewardShaping;
import dev.tessera.rlhf.ppo.Rollouts;
import dev.tessera.rlhf.report.Series;
import dev.tessera.rlhf.reward.RankedGroup;
import dev.tessera.rlhf.reward.RankingLoss;
import dev.tessera.rlhf.reward.RewardModelTrainer;
import dev.tessera.rlhf.sft.ChatFormat;
import dev.tessera.rlhf.sft.SftTrainer;
import dev.tessera.training.data.Batch;
import dev.tessera.training.loop.EvalMetrics;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.Trainer;
import dev.tessera.training.loop.TrainerConfig;
import dev.tessera.training.loop.TrainingListener;
import dev.tessera.training.loss.LossResult;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.LrSchedule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ChatGPT's recipe end to end, at laptop scale, on a task whose "human" is a rule-based
 * {@link Labeller}:
 * <ol>
 *   <li><b>data</b>: held-out, ranking, SFT and PPO prompts (disjoint), imperfect demonstrations,
 *       a pretraining corpus (generated, or the user's text file);</li>
 *   <li><b>tokenizer</b>: byte-level BPE trained on that text, chat markers as special tokens;</li>
 *   <li><b>pretraining</b>: a small GPT, next-token prediction, the training module's loop;</li>
 *   <li><b>SFT</b> on the demonstrations in the chat format (loss on response tokens only);</li>
 *   <li><b>rankings</b>: K responses per prompt sampled from the SFT policy, ranked by the labeller;</li>
 *   <li><b>reward model</b> (initialised from the SFT model) on the K-wise rankings, normalised
 *       so SFT samples average 0;</li>
 *   <li><b>PPO</b> from the SFT model against the reward model, with an adaptive KL penalty to the
 *       SFT model, PPO-ptx on the pretraining corpus, the critic initialised from the reward model;</li>
 *   <li><b>DPO</b> from the SFT model on the same rankings, for comparison;</li>
 *   <li><b>GRPO</b> from the SFT model against the same reward model on PPO's prompts: groups
 *       of samples per prompt, group-normalised advantages, no value model, KL in the loss;</li>
 *   <li><b>evaluation</b> of the SFT, PPO, DPO and GRPO policies on held-out prompts by the labeller,
 *       and their KL to the SFT model; a report.</li>
 * </ol>
 * Everything random derives from the config's seed, so one seed gives one {@link RecipeTable}.
 * Artifacts go to the output folder: {@code tokenizer.json}, {@code report.html},
 * {@code table.json}, {@code table.csv}.
 */
public final class RecipePipeline {
    private static final Logger LOG = LoggerFactory.getLogger(RecipePipeline.class);
    /** Rows per sampling or scoring batch. */
    private static final int CHUNK = 64;
    private final RecipeConfig config;
    private final RecipeListener listener;
    private final Map<Stage, Double> seconds = new EnumMap<>(Stage.class);
    private final List<Chart> charts = new ArrayList<>();

    public RecipePipeline(RecipeConfig config, RecipeListener listener) {
        if (config == null) {
            throw new IllegalArgumentException("RecipePipeline: config must not be null");
        }
        this.config = config;
        this.listener = listener == null ? RecipeListener.NONE : listener;
        // the data stages touch ND4J before any model class would: pick the native build first
        // (on a CPU without AVX-512, ND4J would otherwise load the AVX-512 binary and crash)
        Backend.init();
    }

    /** The prompts of each stage, pairwise disjoint. */
    private record Prompts(List<Instruction> heldOut, List<Instruction> rankings, List<Instruction> sft,
            List<Instruction> ppo) {}

    /** Runs every stage and writes the artifacts to {@code outDir} (created if needed). */
    public RecipeResult run(Path outDir) throws IOException {
        Files.createDirectories(outDir);
        Rng root = new Rng(config.seed());
        Rng dataRng = root.fork();
        Rng initRng = root.fork();
        Rng sampleRng = root.fork();
        Rng orderRng = root.fork();
        long evalSeed = root.nextLong();
        long rowSeed = root.nextLong();
        TaskGenerator task = config.task();
        RecipeConfig.Eval eval = config.eval();

        // 1. data: disjoint prompt sets, so every held-out figure is on prompts no stage trained on
        Set<Instruction> used = new HashSet<>();
        Prompts prompts = new Prompts(task.distinct(dataRng, eval.prompts(), used),
                task.distinct(dataRng, config.reward().prompts(), used), task.distinct(dataRng, config.sft().examples(), used),
                task.distinct(dataRng, config.ppo().iterations() * config.ppo().rolloutBatch() / 2 + 1, used));
        List<String> demonstrations = new ArrayList<>();
        for (Instruction i : prompts.sft()) {
            demonstrations.add(task.demonstration(i, dataRng));
        }
        List<String> documents = pretrainingDocuments(task, Set.copyOf(prompts.heldOut()), dataRng);

        // 2. tokenizer
        long t0 = start(Stage.TOKENIZER, 0);
        List<String> tokenizerCorpus = new ArrayList<>(documents);
        for (int i = 0; i < prompts.sft().size(); i++) {
            tokenizerCorpus.add(prompts.sft().get(i).text());
            tokenizerCorpus.add(demonstrations.get(i));
        }
        ChatTokenizer tokenizer = ChatTokenizer.train(tokenizerCorpus, config.pretrain().vocabSize());
        tokenizer.writeTokenizerJson(outDir.resolve("tokenizer.json"));
        ChatFormat chat = tokenizer.chat();
        end(Stage.TOKENIZER, t0, "vocabulary " + tokenizer.vocabSize() + " (" + tokenizer.mergeCount() + " merges); \""
                + prompts.heldOut().get(0).idealResponse() + "\" -> " + tokenizer.encode(prompts.heldOut().get(0).idealResponse()).length
                + " tokens");

        // 3. pretraining
        Pretrained pre = pretrain(tokenizer, documents, initRng, rowSeed);
        DecoderLm model = pre.model();

        // 4. SFT (the model is fine-tuned in place; afterwards it is the frozen SFT reference)
        double sftLoss = sft(model, tokenizer, prompts.sft(), demonstrations, orderRng);
        DecoderLm sftModel = model;

        // 5. rankings of SFT samples by the labeller
        List<RankedGroup> groups = rankings(sftModel, tokenizer, prompts.rankings(), sampleRng);
        int heldOutGroups = (int) Math.max(1, Math.round(groups.size() * config.reward().heldOutFraction()));
        if (groups.size() - heldOutGroups < 1) {
            throw new IllegalStateException("the labeller could rank only " + groups.size()
                    + " prompts (the others' samples all scored the same); raise reward.prompts or reward.k");
        }
        List<RankedGroup> trainGroups = groups.subList(0, groups.size() - heldOutGroups);
        List<RankedGroup> testGroups = groups.subList(groups.size() - heldOutGroups, groups.size());

        // 6. reward model
        RewardModel rewardModel = new RewardModel(sftModel.copy(), initRng, config.reward().readout());
        double[] rmAccuracy = trainRewardModel(rewardModel, trainGroups, testGroups, tokenizer, orderRng);

        // 7. PPO
        DecoderLm ppoPolicy = sftModel.copy();
        double finalBeta = ppo(ppoPolicy, sftModel, rewardModel, tokenizer, prompts.ppo(), pre, sampleRng, initRng);

        // 8. DPO on the same rankings
        DecoderLm dpoPolicy = sftModel.copy();
        dpo(dpoPolicy, sftModel, trainGroups, chat, orderRng);

        // 9. GRPO against the same reward model (after DPO, so the earlier stages' draws are unchanged)
        DecoderLm grpoPolicy = sftModel.copy();
        grpo(grpoPolicy, sftModel, rewardModel, tokenizer, prompts.ppo(), sampleRng);

        // 10. evaluation on held-out prompts
        t0 = start(Stage.EVALUATION, 4);
        PolicyEvaluator evaluator = new PolicyEvaluator(prompts.heldOut(), tokenizer, sftModel, eval.maxNewTokens(), evalSeed);
        PolicyScore sftScore = timedEval(evaluator, sftModel, 1);
        PolicyScore ppoScore = timedEval(evaluator, ppoPolicy, 2);
        PolicyScore dpoScore = timedEval(evaluator, dpoPolicy, 3);
        PolicyScore grpoScore = timedEval(evaluator, grpoPolicy, 4);
        List<Sample> samples = samples(prompts.heldOut().subList(0, eval.samples()), tokenizer, sftModel, ppoPolicy, dpoPolicy,
                grpoPolicy, evalSeed);
        end(Stage.EVALUATION, t0, String.format(java.util.Locale.ROOT,
                "labeller score SFT %.4f, PPO %.4f, DPO %.4f, GRPO %.4f", sftScore.score(), ppoScore.score(),
                dpoScore.score(), grpoScore.score()));

        long heldOutPairs = testGroups.stream().mapToLong(g -> (long) g.k() * (g.k() - 1) / 2).sum();
        RecipeTable table = new RecipeTable(config.seed(), config.size().name().toLowerCase(java.util.Locale.ROOT),
                model.module().parameterCount(), tokenizer.vocabSize(), pre.tokens(), pre.heldOut().loss(),
                pre.heldOut().perplexity(), sftLoss, groups.size(), rmAccuracy[0], rmAccuracy[1], heldOutPairs, rmAccuracy[2],
                (long) rmAccuracy[3], sftScore,
                ppoScore, dpoScore, grpoScore, config.ppo().klTarget(), finalBeta);

        Path report = outDir.resolve("report.html");
        Path json = outDir.resolve("table.json");
        Path csv = outDir.resolve("table.csv");
        RecipeResult result = new RecipeResult(table, charts, samples, seconds, report, json, csv);
        // all three complete before any appears: a failure leaves an earlier run's set whole
        Map<Path, AtomicFiles.Content> files = new LinkedHashMap<>();
        files.put(report, tmp -> RecipeReport.write(result, config, tmp));
        files.put(json, tmp -> Files.writeString(tmp, table.toJson(), StandardCharsets.UTF_8));
        files.put(csv, tmp -> Files.writeString(tmp, table.toCsv(), StandardCharsets.UTF_8));
        AtomicFiles.writeAll(files);
        LOG.info("recipe done in {} s; report {}", String.format("%.1f", result.totalSeconds()), report);
        return result;
    }

    /** The generated corpus (no held-out instruction appears in it), or the user's file split at blank lines. */
    private List<String> pretrainingDocuments(TaskGenerator task, Set<Instruction> heldOut, Rng rng) throws IOException {
        List<String> docs = new ArrayList<>();
        if (config.pretrainText() != null) {
            String text = Files.readString(config.pretrainText(), StandardCharsets.UTF_8);
            for (String d : text.split("\\R\\s*\\R")) {
                if (!d.isBlank()) {
                    docs.add(d.strip());
                }
            }
            if (docs.isEmpty()) {
                throw new IllegalArgumentException("pretraining text " + config.pretrainText() + " holds no text");
            }
            LOG.info("pretraining on {} documents from {}", docs.size(), config.pretrainText());
            return docs;
        }
        while (docs.size() < config.pretrain().documents()) {
            Instruction i = task.randomInstruction(rng);
            if (!heldOut.contains(i)) {
                docs.add(task.pretrainingDocument(i));
            }
        }
        return docs;
    }

    /** The pretrained model, its held-out figures, and the training rows (PPO-ptx draws from them). */
    private record Pretrained(DecoderLm model, EvalMetrics heldOut, long tokens, DocumentRows rows) {}

    private Pretrained pretrain(ChatTokenizer tokenizer, List<String> documents, Rng initRng, long rowSeed) {
        RecipeConfig.Pretrain p = config.pretrain();
        long t0 = start(Stage.PRETRAIN, p.steps());
        int t = p.contextLength();
        // the last 5% of the documents (at least one) are held out for the loss and perplexity
        int heldOutDocs = Math.max(1, documents.size() / 20);
        if (documents.size() - heldOutDocs < 1) {
            throw new IllegalArgumentException("the pretraining corpus has " + documents.size()
                    + " document(s); it needs at least 2 (one is held out)");
        }
        List<int[]> trainChunks = DocumentRows.chunks(documents.subList(0, documents.size() - heldOutDocs), tokenizer, t);
        List<int[]> testChunks = DocumentRows.chunks(documents.subList(documents.size() - heldOutDocs, documents.size()),
                tokenizer, t);
        long tokens = trainChunks.stream().mapToLong(c -> c.length).sum() + testChunks.stream().mapToLong(c -> c.length).sum();
        int pad = tokenizer.chat().pad();
        DocumentRows train = new DocumentRows(trainChunks, p.batchSize(), pad, rowSeed);
        DocumentRows heldOut = new DocumentRows(testChunks, p.batchSize(), pad, rowSeed + 1);
        List<Batch> validation = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            validation.add(heldOut.next());
        }
        GptConfig gptConfig = config.size().gptConfig(tokenizer.vocabSize(), t);
        DecoderLm model = DecoderLm.gpt(gptConfig, initRng, DataType.FLOAT);
        AdamW optimizer = new AdamW(model.module().namedParameters(), AdamWConfig.lm(p.learningRate()));
        LrSchedule schedule = LrSchedule.cosine(p.learningRate(), p.learningRate() / 10, Math.max(1, p.steps() / 10), p.steps());
        Trainer trainer = new Trainer(TrainerConfig.simple(p.steps()), model.module(), optimizer, schedule,
                b -> model.model().forward(b.inputs()), train, validation, Map.of(), null);
        Series loss = new Series("train loss");
        trainer.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                loss.add(m.step(), m.loss());
                listener.onStep(Stage.PRETRAIN, m.step(), m.maxSteps(), "loss", m.loss(), m.tokens(), m.seconds());
            }
        });
        try {
            trainer.run();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // only checkpointing does I/O, and there is no store
        }
        EvalMetrics e = trainer.evaluate();
        Series held = new Series("held-out loss").add(p.steps(), e.loss());
        charts.add(new Chart("Pretraining: next-token loss", "step", "nats per token", List.of(loss, held)));
        end(Stage.PRETRAIN, t0, String.format(java.util.Locale.ROOT,
                "%,d parameters, %,d corpus tokens; held-out loss %.4f, perplexity %.2f", model.module().parameterCount(),
                tokens, e.loss(), e.perplexity()));
        return new Pretrained(model, e, tokens, new DocumentRows(trainChunks, config.ppo().minibatchSize(), pad, rowSeed + 2));
    }

    /** Fine-tunes {@code model} in place; returns the mean loss of the last (up to) 10 steps. */
    private double sft(DecoderLm model, ChatTokenizer tokenizer, List<Instruction> instructions, List<String> demonstrations,
            Rng orderRng) {
        RecipeConfig.Sft s = config.sft();
        long t0 = start(Stage.SFT, s.steps());
        List<int[]> prompts = new ArrayList<>();
        List<int[]> responses = new ArrayList<>();
        for (int i = 0; i < instructions.size(); i++) {
            prompts.add(tokenizer.encode(instructions.get(i).text()));
            responses.add(tokenizer.encode(demonstrations.get(i)));
        }
        SftTrainer trainer = new SftTrainer(model, tokenizer.chat(), TrainSettings.of(s.learningRate()));
        Cycle order = new Cycle(prompts.size(), orderRng);
        Series loss = new Series("SFT loss (response tokens)");
        double tail = 0;
        int tailCount = 0;
        for (int step = 1; step <= s.steps(); step++) {
            long st = System.nanoTime();
            List<int[]> bp = new ArrayList<>();
            List<int[]> br = new ArrayList<>();
            long tokens = 0;
            for (int idx : order.next(s.batchSize())) {
                bp.add(prompts.get(idx));
                br.add(responses.get(idx));
                tokens += prompts.get(idx).length + responses.get(idx).length + 3;
            }
            LossResult r = trainer.step(bp, br);
            double l = r.loss().item();
            loss.add(step, l);
            if (step > s.steps() - 10) {
                tail += l;
                tailCount++;
            }
            listener.onStep(Stage.SFT, step, s.steps(), "loss", l, tokens, (System.nanoTime() - st) / 1e9);
        }
        charts.add(new Chart("SFT: loss on demonstrations", "step", "nats per response token", List.of(loss)));
        end(Stage.SFT, t0, String.format(java.util.Locale.ROOT, "%d demonstrations, final loss %.4f", prompts.size(),
                tail / tailCount));
        return tail / tailCount;
    }

    /**
     * K samples per prompt from the SFT policy, ranked by the labeller, best first. Samples with
     * equal scores are merged (the labeller cannot order them), so a group holds 2..K responses;
     * prompts whose samples all score the same are dropped.
     */
    private List<RankedGroup> rankings(DecoderLm sft, ChatTokenizer tokenizer, List<Instruction> instructions, Rng rng) {
        RecipeConfig.Reward r = config.reward();
        ChatFormat chat = tokenizer.chat();
        int perChunk = Math.max(1, CHUNK / r.k());
        int chunks = (instructions.size() + perChunk - 1) / perChunk;
        long t0 = start(Stage.RANKINGS, chunks);
        Sampler.Settings settings = new Sampler.Settings(config.eval().maxNewTokens(), 1.0, chat.end(), CHUNK);
        List<RankedGroup> groups = new ArrayList<>();
        double scoreSum = 0;
        sft.module().eval();
        for (int c = 0; c < chunks; c++) {
            long st = System.nanoTime();
            List<Instruction> part = instructions.subList(c * perChunk, Math.min(instructions.size(), (c + 1) * perChunk));
            List<int[]> formatted = new ArrayList<>();
            for (Instruction i : part) {
                int[] p = chat.prompt(tokenizer.encode(i.text()));
                for (int k = 0; k < r.k(); k++) {
                    formatted.add(p);
                }
            }
            List<int[]> responses = Sampler.generate(sft, formatted, settings, rng);
            long tokens = 0;
            double chunkScore = 0;
            for (int j = 0; j < part.size(); j++) {
                List<int[]> candidates = new ArrayList<>();
                List<Double> scores = new ArrayList<>();
                for (int k = 0; k < r.k(); k++) {
                    int[] g = responses.get(j * r.k() + k);
                    double s = Labeller.score(part.get(j), tokenizer.responseText(g), chat.ended(g));
                    tokens += formatted.get(j * r.k() + k).length + g.length;
                    chunkScore += s;
                    if (!scores.contains(s)) {
                        candidates.add(g);
                        scores.add(s);
                    }
                }
                if (candidates.size() >= 2) {
                    Integer[] order = new Integer[candidates.size()];
                    for (int i = 0; i < order.length; i++) {
                        order[i] = i;
                    }
                    java.util.Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores.get(i)).reversed());
                    List<int[]> ranked = new ArrayList<>();
                    for (int i : order) {
                        ranked.add(candidates.get(i));
                    }
                    groups.add(new RankedGroup(formatted.get(j * r.k()), ranked));
                }
            }
            scoreSum += chunkScore;
            listener.onStep(Stage.RANKINGS, c + 1, chunks, "score", chunkScore / (part.size() * r.k()), tokens,
                    (System.nanoTime() - st) / 1e9);
        }
        end(Stage.RANKINGS, t0, String.format(java.util.Locale.ROOT,
                "%d of %d prompts ranked (K = %d samples each, mean labeller score %.4f)", groups.size(), instructions.size(),
                r.k(), scoreSum / (instructions.size() * r.k())));
        return groups;
    }

    /**
     * Trains the reward model and normalises it on its training responses; returns {train, held-out,
     * held-out same-format} pairwise accuracy and the number of same-format pairs.
     */
    private double[] trainRewardModel(RewardModel model, List<RankedGroup> train, List<RankedGroup> test,
            ChatTokenizer tokenizer, Rng orderRng) {
        RecipeConfig.Reward r = config.reward();
        ChatFormat chat = tokenizer.chat();
        long t0 = start(Stage.REWARD_MODEL, r.steps());
        RewardModelTrainer trainer = new RewardModelTrainer(model, TrainSettings.of(r.learningRate()), chat.pad());
        Cycle order = new Cycle(train.size(), orderRng);
        Series loss = new Series("ranking loss");
        Series accuracy = new Series("batch pair accuracy");
        for (int step = 1; step <= r.steps(); step++) {
            long st = System.nanoTime();
            List<RankedGroup> batch = new ArrayList<>();
            long tokens = 0;
            for (int idx : order.next(Math.min(r.batchSize(), train.size()))) {
                RankedGroup g = train.get(idx);
                batch.add(g);
                for (int[] resp : g.responses()) {
                    tokens += g.prompt().length + resp.length;
                }
            }
            RankingLoss.Result res = trainer.step(batch);
            loss.add(step, res.loss().item());
            accuracy.add(step, res.accuracy());
            listener.onStep(Stage.REWARD_MODEL, step, r.steps(), "loss", res.loss().item(), tokens, (System.nanoTime() - st) / 1e9);
        }
        model.eval();
        double trainAcc = RewardModelTrainer.pairwiseAccuracy(model, train, chat.pad(), CHUNK / 4);
        double testAcc = RewardModelTrainer.pairwiseAccuracy(model, test, chat.pad(), CHUNK / 4);
        List<RankedGroup> digitPairs = sameFormatPairs(test, tokenizer);
        double digitsAcc = RewardModelTrainer.pairwiseAccuracy(model, digitPairs, chat.pad(), CHUNK / 2);
        var rows = RewardModelTrainer.rows(train, chat.pad());
        double mean = model.normalise(rows, CHUNK);
        charts.add(new Chart("Reward model: K-wise ranking loss", "step", "loss", List.of(loss)));
        charts.add(new Chart("Reward model: pairwise accuracy", "step", "fraction of pairs",
                List.of(accuracy, new Series("held-out (final)").add(r.steps(), testAcc))));
        end(Stage.REWARD_MODEL, t0, String.format(java.util.Locale.ROOT,
                "pairwise accuracy train %.1f%%, held-out %.1f%% (%d / %d groups), %.1f%% of %d held-out pairs differing "
                        + "only in digits; offset %.4f", 100 * trainAcc, 100 * testAcc, train.size(), test.size(),
                100 * digitsAcc, digitPairs.size(), -mean));
        return new double[] {trainAcc, testAcc, digitsAcc, digitPairs.size()};
    }

    /**
     * The pairs of {@code groups} whose two answers have the same format (both start with the
     * prefix or neither does; both closed the turn or neither did), each as a two-answer group,
     * better first. Tied answers were merged when the groups were made, so such a pair always
     * differs in its digits: these are the pairs the format cannot decide.
     */
    static List<RankedGroup> sameFormatPairs(List<RankedGroup> groups, ChatTokenizer tokenizer) {
        ChatFormat chat = tokenizer.chat();
        List<RankedGroup> out = new ArrayList<>();
        for (RankedGroup g : groups) {
            for (int a = 0; a < g.k(); a++) {
                for (int b = a + 1; b < g.k(); b++) {
                    int[] better = g.responses().get(a);
                    int[] worse = g.responses().get(b);
                    if (hasPrefix(tokenizer, better) == hasPrefix(tokenizer, worse) && chat.ended(better) == chat.ended(worse)) {
                        out.add(new RankedGroup(g.prompt(), List.of(better, worse)));
                    }
                }
            }
        }
        return out;
    }

    private static boolean hasPrefix(ChatTokenizer tokenizer, int[] generated) {
        return tokenizer.responseText(generated).strip().startsWith(Labeller.PREFIX);
    }

    /** PPO from the SFT model against the reward model; returns the final β. */
    private double ppo(DecoderLm policy, DecoderLm sft, RewardModel rewardModel, ChatTokenizer tokenizer, List<Instruction> pool,
            Pretrained pre, Rng sampleRng, Rng initRng) {
        RecipeConfig.Ppo p = config.ppo();
        long t0 = start(Stage.PPO, p.iterations());
        ChatFormat chat = tokenizer.chat();
        ValueModel value = p.valueFromRewardModel() ? ValueModel.copyOfRewardModel(rewardModel)
                : ValueModel.sharedTrunk(policy, initRng);
        // β starts at its floor: the controller may raise it, never lower it (see AdaptiveKlController)
        AdaptiveKlController kl = new AdaptiveKlController(p.initialBeta(), p.klTarget(), p.klHorizon(), p.initialBeta());
        // reward-model scores are normalised (SFT samples average 0); clipping at ±5 keeps one
        // outlier score from dominating a batch
        PpoConfig ppoConfig = new PpoConfig(p.rolloutBatch(), p.minibatchSize(), p.epochs(), 0.2, 0.2, 1.0, 0.95, 0.1, 0.0,
                KlEstimator.K1, Double.POSITIVE_INFINITY, p.ptxCoef(), true, config.eval().maxNewTokens(), 1.0,
                new RewardShaping(0, 1, 5));
        int ptxLength = config.pretrain().contextLength();
        Supplier<INDArray> ptx = p.ptxCoef() > 0 ? () -> pre.rows().packedRows(ptxLength) : null;
        RewardModelScorer scorer = new RewardModelScorer(rewardModel);
        PpoTrainer trainer = new PpoTrainer(policy, sft, value, scorer, kl, ppoConfig, TrainSettings.of(p.learningRate()), chat,
                ptx, sampleRng.fork());
        Series rmScore = new Series("reward-model score");
        Series labScore = new Series("labeller score");
        Series klSeries = new Series("KL to SFT");
        Series target = new Series("target");
        Series beta = new Series("beta");
        for (int it = 1; it <= p.iterations(); it++) {
            long st = System.nanoTime();
            List<Instruction> batch = new ArrayList<>();
            List<int[]> raw = new ArrayList<>();
            for (int i = 0; i < p.rolloutBatch(); i++) {
                Instruction ins = pool.get(sampleRng.nextInt(pool.size()));
                batch.add(ins);
                raw.add(tokenizer.encode(ins.text()));
            }
            Rollouts ro = trainer.rollout(raw);
            double[] scores = scorer.score(ro);
            PpoStats stats = trainer.optimise(ro, scores);
            double lab = 0;
            long tokens = 0;
            for (int i = 0; i < batch.size(); i++) {
                int[] g = ro.responses().get(i);
                lab += Labeller.score(batch.get(i), tokenizer.responseText(g), chat.ended(g)) / batch.size();
                tokens += ro.batch().lengths()[i];
            }
            rmScore.add(it, stats.meanScore());
            labScore.add(it, lab);
            klSeries.add(it, stats.klToReference());
            target.add(it, p.klTarget());
            beta.add(it, stats.beta());
            listener.onStep(Stage.PPO, it, p.iterations(), "labeller score", lab, tokens * p.epochs(),
                    (System.nanoTime() - st) / 1e9);
        }
        charts.add(new Chart("PPO: reward-model score of the rollouts", "iteration", "normalised score", List.of(rmScore)));
        charts.add(new Chart("PPO: labeller score of the rollouts", "iteration", "score in [0, 1]", List.of(labScore)));
        charts.add(new Chart("PPO: KL to the SFT model", "iteration", "nats per response", List.of(klSeries, target)));
        charts.add(new Chart("PPO: KL coefficient beta (adaptive)", "iteration", "beta", List.of(beta)));
        end(Stage.PPO, t0, String.format(java.util.Locale.ROOT, "rollout labeller score %.4f -> %.4f, KL %.3f (target %.2f), beta %.4f",
                labScore.points().get(0)[1], labScore.last(), klSeries.last(), p.klTarget(), kl.beta()));
        return kl.beta();
    }

    /** DPO from the SFT model on every ranked pair of the reward model's training groups. */
    private void dpo(DecoderLm policy, DecoderLm sft, List<RankedGroup> groups, ChatFormat chat, Rng orderRng) {
        RecipeConfig.Dpo d = config.dpo();
        long t0 = start(Stage.DPO, d.steps());
        List<PreferencePair> pairs = new ArrayList<>();
        for (RankedGroup g : groups) {
            for (int i = 0; i < g.k(); i++) {
                for (int j = i + 1; j < g.k(); j++) {
                    pairs.add(new PreferencePair(g.prompt(), g.responses().get(i), g.responses().get(j)));
                }
            }
        }
        DpoTrainer trainer = new DpoTrainer(policy, sft, pairs, d.beta(), 0.0, TrainSettings.of(d.learningRate()), chat.pad(),
                CHUNK);
        Cycle order = new Cycle(pairs.size(), orderRng);
        Series loss = new Series("DPO loss");
        Series accuracy = new Series("implicit reward accuracy");
        for (int step = 1; step <= d.steps(); step++) {
            long st = System.nanoTime();
            int[] idx = order.next(Math.min(d.batchSize(), pairs.size()));
            long tokens = 0;
            for (int i : idx) {
                PreferencePair pp = pairs.get(i);
                tokens += 2L * pp.prompt().length + pp.chosen().length + pp.rejected().length;
            }
            DpoLoss.Result r = trainer.step(idx);
            loss.add(step, r.loss().item());
            accuracy.add(step, r.accuracy());
            listener.onStep(Stage.DPO, step, d.steps(), "loss", r.loss().item(), tokens, (System.nanoTime() - st) / 1e9);
        }
        charts.add(new Chart("DPO: loss and implicit-reward accuracy", "step", "value", List.of(loss, accuracy)));
        end(Stage.DPO, t0, String.format(java.util.Locale.ROOT, "%d preference pairs, final loss %.4f", pairs.size(),
                loss.last()));
    }

    /** GRPO from the SFT model against the reward model on PPO's prompt pool. */
    private void grpo(DecoderLm policy, DecoderLm sft, RewardModel rewardModel, ChatTokenizer tokenizer,
            List<Instruction> pool, Rng sampleRng) {
        RecipeConfig.Grpo g = config.grpo();
        long t0 = start(Stage.GRPO, g.iterations());
        ChatFormat chat = tokenizer.chat();
        GroupConfig groupConfig = new GroupConfig(GroupMethod.GRPO, g.prompts(), g.groupSize(), g.minibatchSize(), g.epochs(),
                0.2, g.beta(), 1e-4, config.eval().maxNewTokens(), 1.0);
        RewardModelScorer scorer = new RewardModelScorer(rewardModel);
        GroupPolicyTrainer trainer = new GroupPolicyTrainer(policy, sft, scorer, groupConfig,
                TrainSettings.of(g.learningRate()), chat, sampleRng.fork());
        Series labScore = new Series("labeller score");
        Series klSeries = new Series("KL to SFT");
        Series flat = new Series("groups with equal scores");
        for (int it = 1; it <= g.iterations(); it++) {
            long st = System.nanoTime();
            List<Instruction> batch = new ArrayList<>();
            List<int[]> raw = new ArrayList<>();
            for (int i = 0; i < g.prompts(); i++) {
                Instruction ins = pool.get(sampleRng.nextInt(pool.size()));
                batch.add(ins);
                raw.add(tokenizer.encode(ins.text()));
            }
            Rollouts ro = trainer.rollout(raw);
            GroupStats stats = trainer.optimise(ro, scorer.score(ro));
            double lab = 0;
            long tokens = 0;
            int n = ro.responses().size();
            for (int i = 0; i < n; i++) {
                int[] resp = ro.responses().get(i);
                lab += Labeller.score(batch.get(i / g.groupSize()), tokenizer.responseText(resp), chat.ended(resp)) / n;
                tokens += ro.batch().lengths()[i];
            }
            labScore.add(it, lab);
            klSeries.add(it, stats.klToReference());
            flat.add(it, (double) stats.flatGroups() / g.prompts());
            listener.onStep(Stage.GRPO, it, g.iterations(), "labeller score", lab, tokens * g.epochs(),
                    (System.nanoTime() - st) / 1e9);
        }
        charts.add(new Chart("GRPO: labeller score of the samples", "iteration", "score in [0, 1]", List.of(labScore)));
        charts.add(new Chart("GRPO: KL to the SFT model, and the share of groups without signal", "iteration",
                "nats per response / fraction", List.of(klSeries, flat)));
        end(Stage.GRPO, t0, String.format(java.util.Locale.ROOT, "sample labeller score %.4f -> %.4f, KL %.3f",
                labScore.points().get(0)[1], labScore.last(), klSeries.last()));
    }

    private PolicyScore timedEval(PolicyEvaluator evaluator, DecoderLm policy, int step) {
        long st = System.nanoTime();
        PolicyScore s = evaluator.evaluate(policy);
        listener.onStep(Stage.EVALUATION, step, 4, "labeller score", s.score(), 0, (System.nanoTime() - st) / 1e9);
        return s;
    }

    /** Greedy answers of the four policies to the first held-out prompts. */
    private List<Sample> samples(List<Instruction> instructions, ChatTokenizer tokenizer, DecoderLm sft, DecoderLm ppo, DecoderLm dpo,
            DecoderLm grpo, long seed) {
        if (instructions.isEmpty()) {
            return List.of();
        }
        PolicyEvaluator e = new PolicyEvaluator(instructions, tokenizer, sft, config.eval().maxNewTokens(), seed);
        List<int[]> a = e.greedy(sft);
        List<int[]> b = e.greedy(ppo);
        List<int[]> c = e.greedy(dpo);
        List<int[]> d = e.greedy(grpo);
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < instructions.size(); i++) {
            Instruction ins = instructions.get(i);
            out.add(new Sample(ins.text(), ins.idealResponse(), answer(ins, a.get(i), tokenizer), answer(ins, b.get(i), tokenizer),
                    answer(ins, c.get(i), tokenizer), answer(ins, d.get(i), tokenizer)));
        }
        return out;
    }

    private static Sample.Answer answer(Instruction ins, int[] generated, ChatTokenizer tokenizer) {
        String text = tokenizer.responseText(generated);
        boolean closed = tokenizer.chat().ended(generated);
        return new Sample.Answer(text, closed, Labeller.score(ins, text, closed));
    }

    private long start(Stage stage, long steps) {
        LOG.info("stage {} started", stage.label());
        listener.onStageStart(stage, steps);
        return System.nanoTime();
    }

    private void end(Stage stage, long t0, String summary) {
        double s = (System.nanoTime() - t0) / 1e9;
        seconds.put(stage, s);
        LOG.info("stage {} done in {} s: {}", stage.label(), String.format("%.1f", s), summary);
        listener.onStageEnd(stage, summary, s);
    }
}
