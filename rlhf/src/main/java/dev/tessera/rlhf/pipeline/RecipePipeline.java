package dev.tessera.rlhf.pipeline;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.backend.Backend;
import dev.tessera.core.Rng;
import dev.tessera.io.AtomicFiles;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.rlhf.chat.ChatTemplate;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.dpo.DpoObjective;
import dev.tessera.rlhf.dpo.PreferencePair;
import dev.tessera.rlhf.grpo.GroupConfig;
import dev.tessera.rlhf.grpo.GroupMethod;
import dev.tessera.rlhf.grpo.GroupPolicyTrainer;
import dev.tessera.rlhf.grpo.GroupStats;
import dev.tessera.rlhf.math.KlEstimator;
import dev.tessera.rlhf.model.RewardModel;
import dev.tessera.rlhf.model.ValueModel;
import dev.tessera.rlhf.ppo.AdaptiveKlController;
import dev.tessera.rlhf.ppo.PpoConfig;
import dev.tessera.rlhf.ppo.PpoOptimization;
import dev.tessera.rlhf.ppo.PpoStats;
import dev.tessera.rlhf.ppo.PpoTrainer;
import dev.tessera.rlhf.ppo.RewardModelScorer;
import dev.tessera.rlhf.ppo.RewardShaping;
import dev.tessera.rlhf.ppo.Rollouts;
import dev.tessera.rlhf.reward.RankedGroup;
import dev.tessera.rlhf.reward.RewardModelObjective;
import dev.tessera.rlhf.sft.SftObjective;
import dev.tessera.training.data.Batch;
import dev.tessera.training.data.DataSource;
import dev.tessera.training.generate.Generator;
import dev.tessera.training.generate.SamplingConfig;
import dev.tessera.training.generate.TokenListener;
import dev.tessera.training.loop.EvalMetrics;
import dev.tessera.training.loop.Objective;
import dev.tessera.training.loop.OnNonFinite;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.StopReason;
import dev.tessera.training.loop.Trainer;
import dev.tessera.training.loop.TrainerConfig;
import dev.tessera.training.loop.TrainingListener;
import dev.tessera.training.loop.TrainingResult;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.LrSchedule;
import dev.tessera.training.optim.OptimizerSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
 * Artifacts go to the output folder: {@code tokenizer.json}, {@code table.json}, {@code table.csv};
 * the {@link RecipeResult} carries the curves and samples, which the command line turns into its
 * HTML report.
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
        ChatTemplate chat = tokenizer.chat();
        end(Stage.TOKENIZER, t0, "vocabulary " + tokenizer.vocabSize() + " (" + tokenizer.mergeCount() + " merges); \""
                + prompts.heldOut().get(0).idealResponse() + "\" -> " + tokenizer.encode(prompts.heldOut().get(0).idealResponse()).length
                + " tokens");

        // 3. pretraining
        Pretrained pre = pretrain(tokenizer, documents, initRng, rowSeed);
        CausalLm model = pre.model();

        // 4. SFT (the model is fine-tuned in place; afterwards it is the frozen SFT reference)
        double sftLoss = sft(model, tokenizer, prompts.sft(), demonstrations, orderRng);
        CausalLm sftModel = model;

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
        RewardModelAccuracy rmAccuracy = trainRewardModel(rewardModel, trainGroups, testGroups, tokenizer, orderRng);

        // 7. PPO
        CausalLm ppoPolicy = sftModel.copy();
        double finalBeta = ppo(ppoPolicy, sftModel, rewardModel, tokenizer, prompts.ppo(), pre, sampleRng, initRng);

        // 8. DPO on the same rankings
        CausalLm dpoPolicy = sftModel.copy();
        dpo(dpoPolicy, sftModel, trainGroups, chat, orderRng);

        // 9. GRPO against the same reward model (after DPO, so the earlier stages' draws are unchanged)
        CausalLm grpoPolicy = sftModel.copy();
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
        end(Stage.EVALUATION, t0, String.format(Locale.ROOT,
                "labeller score SFT %.4f, PPO %.4f, DPO %.4f, GRPO %.4f", sftScore.score(), ppoScore.score(),
                dpoScore.score(), grpoScore.score()));

        long heldOutPairs = testGroups.stream().mapToLong(g -> (long) g.k() * (g.k() - 1) / 2).sum();
        RecipeTable table = new RecipeTable(config.seed(), config.size().name().toLowerCase(Locale.ROOT),
                model.module().parameterCount(), tokenizer.vocabSize(), pre.tokens(), pre.heldOut().loss(),
                pre.heldOut().perplexity(), sftLoss, groups.size(), rmAccuracy.train(), rmAccuracy.heldOut(), heldOutPairs,
                rmAccuracy.sameFormat(), rmAccuracy.sameFormatPairs(), sftScore,
                ppoScore, dpoScore, grpoScore, config.ppo().klTarget(), finalBeta);

        Path json = outDir.resolve("table.json");
        Path csv = outDir.resolve("table.csv");
        RecipeResult result = new RecipeResult(table, charts, samples, seconds, json, csv);
        // both complete before either appears: a failure leaves an earlier run's pair whole
        Map<Path, AtomicFiles.Content> files = new LinkedHashMap<>();
        files.put(json, tmp -> Files.writeString(tmp, table.toJson(), StandardCharsets.UTF_8));
        files.put(csv, tmp -> Files.writeString(tmp, table.toCsv(), StandardCharsets.UTF_8));
        AtomicFiles.writeAll(files);
        LOG.info("recipe done in {} s; table {}", String.format("%.1f", result.totalSeconds()), json);
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
    private record Pretrained(CausalLm model, EvalMetrics heldOut, long tokens, DocumentRows rows) {}

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
        CausalLm model = new GptModel(gptConfig, initRng, DataType.FLOAT);
        AdamW optimizer = new AdamW(model.module().namedParameters(), AdamWConfig.lm(p.learningRate()));
        LrSchedule schedule = LrSchedule.cosine(p.learningRate(), p.learningRate() / 10, Math.max(1, p.steps() / 10), p.steps());
        Trainer trainer = new Trainer(TrainerConfig.simple(p.steps()), model.module(), optimizer, schedule,
                b -> model.forward(b.inputs()), train, validation, Map.of(), null);
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
        } catch (IOException e) {
            throw new UncheckedIOException(e); // only checkpointing does I/O, and there is no store
        }
        EvalMetrics e = trainer.evaluate();
        Series held = new Series("held-out loss").add(p.steps(), e.loss());
        charts.add(new Chart("Pretraining: next-token loss", "step", "nats per token", List.of(loss, held)));
        end(Stage.PRETRAIN, t0, String.format(Locale.ROOT,
                "%,d parameters, %,d corpus tokens; held-out loss %.4f, perplexity %.2f", model.module().parameterCount(),
                tokens, e.loss(), e.perplexity()));
        return new Pretrained(model, e, tokens, new DocumentRows(trainChunks, config.ppo().minibatchSize(), pad, rowSeed + 2));
    }

    /** Fine-tunes {@code model} in place; returns the mean loss of the last (up to) 10 steps. */
    private double sft(CausalLm model, ChatTokenizer tokenizer, List<Instruction> instructions, List<String> demonstrations,
            Rng orderRng) {
        RecipeConfig.Sft s = config.sft();
        long t0 = start(Stage.SFT, s.steps());
        List<int[]> prompts = new ArrayList<>();
        List<int[]> responses = new ArrayList<>();
        for (int i = 0; i < instructions.size(); i++) {
            prompts.add(tokenizer.encode(instructions.get(i).text()));
            responses.add(tokenizer.encode(demonstrations.get(i)));
        }
        List<SftObjective.Example> examples = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            examples.add(new SftObjective.Example(prompts.get(i), responses.get(i)));
        }
        // a row is the formatted conversation: prompt + response + 3 chat markers
        TokenCount<SequenceBatch> batches = new TokenCount<>(SftObjective.batches(examples, tokenizer.chat(), s.batchSize(),
                orderRng), b -> Arrays.stream(b.lengths()).asLongStream().sum());
        Series loss = new Series("SFT loss (response tokens)");
        double[] tail = new double[2]; // Σ loss and count of the last (up to) 10 steps
        Trainer trainer = stageTrainer(s.steps(), model.module(), model.trainableParameters(), OptimizerSettings.adamW(s.learningRate()),
                new SftObjective(model), batches);
        trainer.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                loss.add(m.step(), m.loss());
                if (m.step() > s.steps() - 10) {
                    tail[0] += m.loss();
                    tail[1]++;
                }
                listener.onStep(Stage.SFT, m.step(), m.maxSteps(), "loss", m.loss(), batches.take(), m.seconds());
            }
        });
        run(trainer, Stage.SFT);
        charts.add(new Chart("SFT: loss on demonstrations", "step", "nats per response token", List.of(loss)));
        end(Stage.SFT, t0, String.format(Locale.ROOT, "%d demonstrations, final loss %.4f", prompts.size(),
                tail[0] / tail[1]));
        return tail[0] / tail[1];
    }

    /**
     * K samples per prompt from the SFT policy, ranked by the labeller, best first. Samples with
     * equal scores are merged (the labeller cannot order them), so a group holds 2..K responses;
     * prompts whose samples all score the same are dropped.
     */
    private List<RankedGroup> rankings(CausalLm sft, ChatTokenizer tokenizer, List<Instruction> instructions, Rng rng) {
        RecipeConfig.Reward r = config.reward();
        ChatTemplate chat = tokenizer.chat();
        int perChunk = Math.max(1, CHUNK / r.k());
        int chunks = (instructions.size() + perChunk - 1) / perChunk;
        long t0 = start(Stage.RANKINGS, chunks);
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
            SamplingConfig sampling = SamplingConfig.sample(1.0, 1.0, config.eval().maxNewTokens(), rng.nextLong())
                    .withStopTokens(chat.end());
            List<int[]> responses = Arrays.asList(Generator.generateInBatches(sft, formatted.toArray(new int[0][]), sampling,
                    CHUNK, TokenListener.NONE).tokens());
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
                    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores.get(i)).reversed());
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
        end(Stage.RANKINGS, t0, String.format(Locale.ROOT,
                "%d of %d prompts ranked (K = %d samples each, mean labeller score %.4f)", groups.size(), instructions.size(),
                r.k(), scoreSum / (instructions.size() * r.k())));
        return groups;
    }

    /**
     * Pairwise accuracy of the trained reward model.
     *
     * @param train on its training groups
     * @param heldOut on the held-out groups
     * @param sameFormat on the held-out pairs whose answers differ only in their digits
     * @param sameFormatPairs how many such pairs there are
     */
    private record RewardModelAccuracy(double train, double heldOut, double sameFormat, long sameFormatPairs) {}

    /** Trains the reward model and normalises it on its training responses. */
    private RewardModelAccuracy trainRewardModel(RewardModel model, List<RankedGroup> train, List<RankedGroup> test,
            ChatTokenizer tokenizer, Rng orderRng) {
        RecipeConfig.Reward r = config.reward();
        ChatTemplate chat = tokenizer.chat();
        long t0 = start(Stage.REWARD_MODEL, r.steps());
        RewardModelObjective objective = new RewardModelObjective(model, chat.pad());
        TokenCount<List<RankedGroup>> batches = new TokenCount<>(RewardModelObjective.batches(train,
                Math.min(r.batchSize(), train.size()), orderRng), RecipePipeline::tokens);
        Series loss = new Series("ranking loss");
        Series accuracy = new Series("batch pair accuracy");
        Trainer trainer = stageTrainer(r.steps(), model, model.trainableParameters(), OptimizerSettings.adamW(r.learningRate()), objective, batches);
        trainer.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                loss.add(m.step(), m.loss());
                accuracy.add(m.step(), m.metric("accuracy"));
                listener.onStep(Stage.REWARD_MODEL, m.step(), m.maxSteps(), "loss", m.loss(), batches.take(), m.seconds());
            }
        });
        run(trainer, Stage.REWARD_MODEL);
        model.eval();
        double trainAcc = RewardModelObjective.pairwiseAccuracy(model, train, chat.pad(), CHUNK / 4);
        double testAcc = RewardModelObjective.pairwiseAccuracy(model, test, chat.pad(), CHUNK / 4);
        List<RankedGroup> digitPairs = sameFormatPairs(test, tokenizer);
        double digitsAcc = RewardModelObjective.pairwiseAccuracy(model, digitPairs, chat.pad(), CHUNK / 2);
        var rows = RewardModelObjective.rows(train, chat.pad());
        double mean = model.normalise(rows, CHUNK);
        charts.add(new Chart("Reward model: K-wise ranking loss", "step", "loss", List.of(loss)));
        charts.add(new Chart("Reward model: pairwise accuracy", "step", "fraction of pairs",
                List.of(accuracy, new Series("held-out (final)").add(r.steps(), testAcc))));
        end(Stage.REWARD_MODEL, t0, String.format(Locale.ROOT,
                "pairwise accuracy train %.1f%%, held-out %.1f%% (%d / %d groups), %.1f%% of %d held-out pairs differing "
                        + "only in digits; offset %.4f", 100 * trainAcc, 100 * testAcc, train.size(), test.size(),
                100 * digitsAcc, digitPairs.size(), -mean));
        return new RewardModelAccuracy(trainAcc, testAcc, digitsAcc, digitPairs.size());
    }

    /** Tokens of a batch of groups: every response forwarded with its prompt. */
    private static long tokens(List<RankedGroup> groups) {
        long n = 0;
        for (RankedGroup g : groups) {
            for (int[] resp : g.responses()) {
                n += g.prompt().length + resp.length;
            }
        }
        return n;
    }

    /**
     * The pairs of {@code groups} whose two answers have the same format (both start with the
     * prefix or neither does; both closed the turn or neither did), each as a two-answer group,
     * better first. Tied answers were merged when the groups were made, so such a pair always
     * differs in its digits: these are the pairs the format cannot decide.
     */
    static List<RankedGroup> sameFormatPairs(List<RankedGroup> groups, ChatTokenizer tokenizer) {
        ChatTemplate chat = tokenizer.chat();
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
    private double ppo(CausalLm policy, CausalLm sft, RewardModel rewardModel, ChatTokenizer tokenizer, List<Instruction> pool,
            Pretrained pre, Rng sampleRng, Rng initRng) {
        RecipeConfig.Ppo p = config.ppo();
        long t0 = start(Stage.PPO, p.iterations());
        ChatTemplate chat = tokenizer.chat();
        ValueModel value = p.valueFromRewardModel() ? ValueModel.copyOfRewardModel(rewardModel)
                : ValueModel.sharedTrunk(policy, initRng);
        // β starts at its floor: the controller may raise it, never lower it (see AdaptiveKlController)
        AdaptiveKlController kl = new AdaptiveKlController(p.initialBeta(), p.klTarget(), p.klHorizon(), p.initialBeta());
        // reward-model scores are normalised (SFT samples average 0); clipping at ±5 keeps one
        // outlier score from dominating a batch
        PpoConfig ppoConfig = PpoConfig.defaults(p.rolloutBatch(), p.minibatchSize(), config.eval().maxNewTokens())
                .withEpochs(p.epochs()).withPtxCoef(p.ptxCoef()).withShaping(new RewardShaping(0, 1, 5));
        PpoOptimization optimization = PpoOptimization.of(p.learningRate()).withCriticLearningRate(p.criticLearningRate())
                .withIterations(p.iterations());
        int ptxLength = config.pretrain().contextLength();
        Supplier<INDArray> ptx = p.ptxCoef() > 0 ? () -> pre.rows().packedRows(ptxLength) : null;
        RewardModelScorer scorer = new RewardModelScorer(rewardModel);
        PpoTrainer trainer = new PpoTrainer(policy, sft, value, scorer, kl, ppoConfig, optimization, chat, ptx,
                sampleRng.fork());
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
        end(Stage.PPO, t0, String.format(Locale.ROOT, "rollout labeller score %.4f -> %.4f, KL %.3f (target %.2f), beta %.4f",
                labScore.points().get(0)[1], labScore.last(), klSeries.last(), p.klTarget(), kl.beta()));
        return kl.beta();
    }

    /** DPO from the SFT model on every ranked pair of the reward model's training groups. */
    private void dpo(CausalLm policy, CausalLm sft, List<RankedGroup> groups, ChatTemplate chat, Rng orderRng) {
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
        DpoObjective objective = new DpoObjective(policy, sft, pairs, d.beta(), 0.0, chat.pad(), CHUNK);
        TokenCount<int[]> batches = new TokenCount<>(objective.batches(Math.min(d.batchSize(), pairs.size()), orderRng),
                idx -> {
                    long n = 0;
                    for (int i : idx) {
                        PreferencePair pp = pairs.get(i);
                        n += 2L * pp.prompt().length + pp.chosen().length + pp.rejected().length;
                    }
                    return n;
                });
        Series loss = new Series("DPO loss");
        Series accuracy = new Series("implicit reward accuracy");
        Trainer trainer = stageTrainer(d.steps(), policy.module(), policy.trainableParameters(), OptimizerSettings.adamW(d.learningRate()), objective,
                batches);
        trainer.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                loss.add(m.step(), m.loss());
                accuracy.add(m.step(), m.metric("accuracy"));
                listener.onStep(Stage.DPO, m.step(), m.maxSteps(), "loss", m.loss(), batches.take(), m.seconds());
            }
        });
        run(trainer, Stage.DPO);
        charts.add(new Chart("DPO: loss and implicit-reward accuracy", "step", "value", List.of(loss, accuracy)));
        end(Stage.DPO, t0, String.format(Locale.ROOT, "%d preference pairs, final loss %.4f", pairs.size(),
                loss.last()));
    }

    /**
     * The training module's loop for one fine-tuning stage: {@code steps} steps of {@code objective}
     * on {@code batches}, AdamW and its schedule from {@code optimizer} over the model's trainable
     * parameters (the adapters alone for a LoRA model), clipping at 1, no
     * accumulation, evaluation or checkpoints, stopping on a non-finite loss or gradient.
     */
    private static <B> Trainer stageTrainer(int steps, Module model, Map<String, Parameter> trainable,
            OptimizerSettings optimizer, Objective<B> objective, DataSource<B> batches) {
        return new Trainer(TrainerConfig.simple(steps), model, trainable, optimizer.optimizer(trainable),
                optimizer.schedule(steps), objective, batches, List.of(), Map.of(), null, null);
    }

    /** Runs a stage's trainer; a non-finite stop ends the recipe with the trainer's report. */
    private static void run(Trainer trainer, Stage stage) {
        TrainingResult result;
        try {
            result = trainer.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // only checkpointing does I/O, and there is no store
        }
        if (result.reason() == StopReason.NON_FINITE) {
            throw new IllegalStateException(stage.label() + ": " + result.message());
        }
    }

    /** GRPO from the SFT model against the reward model on PPO's prompt pool. */
    private void grpo(CausalLm policy, CausalLm sft, RewardModel rewardModel, ChatTokenizer tokenizer,
            List<Instruction> pool, Rng sampleRng) {
        RecipeConfig.Grpo g = config.grpo();
        long t0 = start(Stage.GRPO, g.iterations());
        ChatTemplate chat = tokenizer.chat();
        GroupConfig groupConfig = new GroupConfig(GroupMethod.GRPO, g.prompts(), g.groupSize(), g.minibatchSize(), g.epochs(),
                0.2, g.beta(), 1e-4, config.eval().maxNewTokens(), 1.0);
        RewardModelScorer scorer = new RewardModelScorer(rewardModel);
        // the optimizer, clipping at 1 and stopping on a non-finite step as PPO's policy (PpoOptimization.of)
        GroupPolicyTrainer trainer = new GroupPolicyTrainer(policy, sft, scorer, groupConfig,
                OptimizerSettings.adamW(g.learningRate()), 1.0, OnNonFinite.STOP, chat, sampleRng.fork());
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
        end(Stage.GRPO, t0, String.format(Locale.ROOT, "sample labeller score %.4f -> %.4f, KL %.3f",
                labScore.points().get(0)[1], labScore.last(), klSeries.last()));
    }

    private PolicyScore timedEval(PolicyEvaluator evaluator, CausalLm policy, int step) {
        long st = System.nanoTime();
        PolicyScore s = evaluator.evaluate(policy);
        listener.onStep(Stage.EVALUATION, step, 4, "labeller score", s.score(), 0, (System.nanoTime() - st) / 1e9);
        return s;
    }

    /** Greedy answers of the four policies to the first held-out prompts. */
    private List<Sample> samples(List<Instruction> instructions, ChatTokenizer tokenizer, CausalLm sft, CausalLm ppo, CausalLm dpo,
            CausalLm grpo, long seed) {
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
