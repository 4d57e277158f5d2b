package dev.tessera.training.cli;

import dev.tessera.attention.PositionEncoding;
import dev.tessera.attention.model.BertConfig;
import dev.tessera.attention.model.BertModel;
import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.backend.Backend;
import dev.tessera.cli.InputFiles;
import dev.tessera.cli.ParsedOptions;
import dev.tessera.cli.UsageException;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Module;
import dev.tessera.tokenizer.Tokenizer;
import dev.tessera.tokenizer.Tokenizers;
import dev.tessera.training.Flat;
import dev.tessera.training.checkpoint.Checkpoint;
import dev.tessera.training.checkpoint.CheckpointStore;
import dev.tessera.training.data.Batch;
import dev.tessera.training.data.BatchSource;
import dev.tessera.training.data.MaskedLmBatches;
import dev.tessera.training.data.Sequential;
import dev.tessera.training.data.WindowSampler;
import dev.tessera.training.generate.Generation;
import dev.tessera.training.generate.Generator;
import dev.tessera.training.generate.SamplingConfig;
import dev.tessera.training.loop.EvalMetrics;
import dev.tessera.training.loop.ForwardFunction;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.Trainer;
import dev.tessera.training.loop.TrainerConfig;
import dev.tessera.training.loop.TrainingListener;
import dev.tessera.training.loop.TrainingResult;
import dev.tessera.training.loss.CrossEntropyOptions;
import dev.tessera.training.loss.MaskingConfig;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.LrSchedule;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Pre-trains a small GPT ({@link GptModel}, next-token) or BERT-style encoder ({@link BertModel},
 * masked LM) on a text file, with checkpoints and exact resume, then samples text (GPT) or fills in
 * masked tokens (BERT).
 *
 * <pre>
 * mvn -q -pl training exec:java -Dexec.mainClass=dev.tessera.training.cli.Pretrain \
 *     -Dexec.args="--objective gpt --text corpus.txt --out runs/gpt --time-limit 270"
 * </pre>
 * See {@link PretrainOptions#usage()} for every option. Re-running with {@code --resume}
 * continues from the newest checkpoint in {@code OUT/checkpoints}; the tokenizer and token file
 * in OUT are reused only when {@code OUT/corpus.json} shows they were built from the same texts
 * and tokenizer settings (else they are rebuilt, and {@code --resume} is refused). A fresh run
 * over an earlier run's checkpoints is refused unless {@code --overwrite} deletes them. A checkpoint holds the weights, the AdamW moments, the step, the training
 * sampler's position, the masking generator's state (inside the BERT source's position) and every
 * dropout generator of the model ({@link Module#namedRngs()}), so a run stopped after step k (by
 * {@code --stop-after k}, {@code --time-limit} or a crash after a checkpoint) and resumed with the
 * same options reaches the same weights and losses at any later step as the uninterrupted run,
 * bit for bit.
 */
public final class Pretrain {
    private Pretrain() {}

    /**
     * The figures a run produced.
     *
     * @param valLoss final validation loss, nats per (masked) token
     * @param valAccuracy final validation accuracy of the (masked) tokens
     * @param unigramEntropy entropy of the training split's token distribution, nats per token
     * @param baselineAccuracy accuracy of always predicting the most frequent validation target
     * @param tokensPerSecond input tokens processed per second of training
     * @param steps steps completed
     * @param trainLosses the training loss of each step this invocation ran, i.e. of steps
     *     {@code steps - trainLosses.length + 1 .. steps}
     */
    public record Summary(double valLoss, double valAccuracy, double unigramEntropy, double baselineAccuracy,
            double tokensPerSecond, long steps, double[] trainLosses) {}

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the command line. Returns 0 on success (and for {@code --help}); 2 for a bad option,
     * value or input file (one line on {@code err} naming it, and nothing on {@code out}); 1 when
     * reading or writing fails midway.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        PretrainOptions o;
        try {
            ParsedOptions p = PretrainOptions.OPTIONS.parse(args);
            if (p.helpRequested()) {
                out.print(PretrainOptions.usage());
                return 0;
            }
            o = PretrainOptions.from(p);
        } catch (IllegalArgumentException e) {
            err.println("Pretrain: " + e.getMessage());
            return 2;
        }
        Backend.init(); // before any ND4J use: picks the native build this CPU can run
        try {
            run(o, out);
            return 0;
        } catch (IllegalArgumentException e) {
            err.println("Pretrain: " + e.getMessage());
            return 2;
        } catch (IOException | UncheckedIOException e) {
            err.println("Pretrain: failed: " + e.getMessage());
            return 1;
        }
    }

    /**
     * Runs the whole recipe, printing progress and results to {@code out}. Every input is checked
     * first (texts, tokenizer, output folder, earlier checkpoints and the corpus cache they were
     * trained on, then the prompt or fill text against the context): a bad one throws an
     * {@link IllegalArgumentException} before anything is printed or trained.
     */
    public static Summary run(PretrainOptions o, PrintStream out) throws IOException {
        CheckpointStore store = new CheckpointStore(o.out().resolve("checkpoints"), 2);
        Optional<Checkpoint> resumeFrom = checkInputs(o, store);
        ByteArrayOutputStream corpusLog = new ByteArrayOutputStream(); // printed once the corpus passes its checks
        Corpus corpus = Corpus.prepare(o, new PrintStream(corpusLog, true, StandardCharsets.UTF_8));
        long n = corpus.tokens.size();
        long valTokens = Math.max(n / 20, (long) o.evalBatches() * o.batch() * o.context() + 1);
        long valStart = n - valTokens;
        if (valStart < o.context() + 1L) {
            throw new UsageException("the corpus has only " + n + " tokens: too few for --context " + o.context()
                    + " with a validation split of " + valTokens + " (--eval-batches x --batch x --context + 1)");
        }
        checkPromptAndFill(o, corpus);
        if (o.overwrite() && Files.exists(store.root())) { // only once every input has passed its checks
            deleteCheckpoints(store.root());
        }
        // printed once the checkpoint to resume from is known to fit, so that a bad input prints nothing
        PrintStream early = new PrintStream(corpusLog, true, StandardCharsets.UTF_8);
        int vocab = corpus.tokenizer.vocabSize();
        double entropy = corpus.unigramEntropy(0, valStart);
        early.printf("split: %,d training tokens, %,d validation tokens; unigram entropy %.4f nats/token%n", valStart,
                valTokens, entropy);

        Rng init = new Rng(o.seed());
        Module model;
        ForwardFunction forward;
        BatchSource train;
        List<Batch> windows = Sequential.windows(corpus.tokens, valStart, n, o.batch(), o.context(), o.evalBatches());
        List<Batch> validation = windows;
        MaskingConfig masking = null;
        if (o.objective() == PretrainTask.GPT) {
            GptModel gpt = new GptModel(new GptConfig(vocab, o.context(), o.embd(), o.layers(), o.heads(), o.dropout(), 1e-5),
                    init, DataType.FLOAT);
            model = gpt;
            forward = b -> gpt.forward(b.inputs(), b.attentionMask());
            train = new WindowSampler(corpus.tokens, 0, valStart, o.batch(), o.context(), o.seed() + 1);
        } else {
            // single segment (no token types); LayerNorm eps 1e-5 rather than BERT's 1e-12, which is
            // below float32's resolution of a unit-variance row anyway
            BertModel bert = new BertModel(new BertConfig(vocab, o.context(), 0, o.embd(), o.layers(), o.heads(),
                    4 * o.embd(), o.dropout(), 1e-5, o.positions(), o.preNorm()), init, DataType.FLOAT);
            model = bert;
            forward = b -> bert.forward(b.inputs(), b.attentionMask(), null);
            int maskId = corpus.special(Corpus.MASK);
            masking = new MaskingConfig(vocab, maskId, new int[] {maskId, corpus.eotId, corpus.special(Corpus.PAD)},
                    o.maskProb(), 0.8, 0.1);
            int ignore = CrossEntropyOptions.DEFAULT_IGNORE_INDEX;
            train = new MaskedLmBatches(new WindowSampler(corpus.tokens, 0, valStart, o.batch(), o.context(), o.seed() + 1),
                    masking, ignore, o.seed() + 2);
            validation = MaskedLmBatches.fixed(validation, masking, ignore, o.seed() + 3);
        }
        early.printf("model: %s, %d layers, %d heads, width %d, context %d, %,d parameters%s%n", o.objective(), o.layers(),
                o.heads(), o.embd(), o.context(), model.parameterCount(), o.objective() == PretrainTask.BERT
                        ? ", " + (o.positions() == PositionEncoding.ROPE ? "rotary" : "learned") + " positions, "
                                + (o.preNorm() ? "pre" : "post") + "-LN"
                        : "");

        AdamW opt = new AdamW(model.namedParameters(), AdamWConfig.lm(o.lr()));
        LrSchedule schedule = LrSchedule.cosine(o.lr(), o.lr() / 10, o.warmup(), o.steps());
        TrainerConfig cfg = new TrainerConfig(o.steps(), o.accum(), o.evalEvery(), o.ckptEvery(), 1.0, 0, 0, 0,
                CrossEntropyOptions.defaults());
        // every generator the forward pass draws from (the dropout masks) goes into the checkpoints; the
        // data order and the masking generator travel in the training source's position
        Trainer trainer = new Trainer(cfg, model, opt, schedule, forward, train, validation, model.namedRngs(), store);
        trainer.addListener(new ConsoleProgress(out));
        if (resumeFrom.isPresent()) {
            try {
                trainer.restore(resumeFrom.get());
            } catch (RuntimeException e) {
                throw new UsageException("--resume: checkpoint " + resumeFrom.get().dir() + " does not fit these options: "
                        + e.getMessage());
            }
            early.println("resumed at step " + trainer.step());
        } else if (o.resume()) {
            early.println("nothing to resume in " + store.root() + "; starting fresh");
        }
        out.print(corpusLog.toString(StandardCharsets.UTF_8));
        Throughput speed = new Throughput((long) o.batch() * o.context() * o.accum(), o.timeLimitSeconds(),
                o.stopAfter(), trainer);
        trainer.addListener(speed);
        TrainingResult result = null;
        if (o.stopAfter() > 0 && trainer.step() >= o.stopAfter()) {
            out.println("--stop-after " + o.stopAfter() + " is already reached at step " + trainer.step()
                    + "; not training");
        } else {
            result = trainer.run();
        }
        EvalMetrics eval = result != null && result.lastEval() != null && result.lastEval().step() == trainer.step()
                ? result.lastEval()
                : trainer.evaluate();
        double baseline = mostFrequentTargetAccuracy(validation);
        out.printf("%nresult after %d steps: validation loss %.4f nats/token (perplexity %.2f) vs unigram entropy %.4f; "
                + "accuracy %.4f vs most-frequent-token baseline %.4f; %,.0f tokens/s%n", trainer.step(), eval.loss(),
                eval.perplexity(), entropy, eval.accuracy(), baseline, speed.tokensPerSecond());

        model.eval();
        if (o.objective() == PretrainTask.GPT) {
            sample((GptModel) model, corpus, o, out);
        } else {
            fill((BertModel) model, corpus, o, windows.get(0), out);
        }
        return new Summary(eval.loss(), eval.accuracy(), entropy, baseline, speed.tokensPerSecond(), trainer.step(),
                speed.losses());
    }

    private static void sample(GptModel gpt, Corpus corpus, PretrainOptions o, PrintStream out) {
        int[] prompt = corpus.tokenizer.encodeOrdinary(o.prompt());
        if (prompt.length == 0) {
            prompt = new int[] {corpus.eotId};
        }
        int maxNew = Math.min(o.maxNew(), o.context() - prompt.length);
        SamplingConfig c = new SamplingConfig(o.temperature(), o.topK(), 1.0, 1.0, maxNew, new int[] {corpus.eotId},
                o.seed());
        Generation g = Generator.generate(gpt, new int[][] {prompt}, c, true);
        out.println("sample (temperature " + o.temperature() + ", top-k " + o.topK()
                + (maxNew < o.maxNew() ? ", " + maxNew + " new tokens: all that fit --context " + o.context() : "") + "):");
        out.println(o.prompt() + corpus.tokenizer.decodeLossy(g.tokens()[0]));
    }

    private static void fill(BertModel bert, Corpus corpus, PretrainOptions o, Batch fallback, PrintStream out) {
        int maskId = corpus.special(Corpus.MASK);
        int[] ids;
        int[] original = null;
        if (o.fill() != null) {
            ids = corpus.tokenizer.encode(o.fill(), Set.of(Corpus.MASK)); // at most --context tokens (checked before)
        } else { // mask every 7th token of a validation window and show the original beside the prediction
            original = Arrays.copyOf(Flat.ints(fallback.inputs()), Math.min(64, o.context()));
            ids = original.clone();
            for (int i = 3; i < ids.length; i += 7) {
                ids[i] = maskId;
            }
        }
        int[] filled = ids.clone();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor logits = bert.forward(Nd4j.createFromArray(ids).reshape(1, ids.length), null, null); // (1, T, V)
            Set<Integer> special = Set.copyOf(corpus.tokenizer.specialTokens().values());
            for (int t = 0; t < ids.length; t++) {
                if (ids[t] != maskId) {
                    continue;
                }
                INDArray row = logits.data().get(NDArrayIndex.point(0), NDArrayIndex.point(t), NDArrayIndex.all());
                double[] z = row.castTo(DataType.DOUBLE).toDoubleVector();
                int best = -1;
                for (int v = 0; v < z.length; v++) {
                    if (!special.contains(v) && (best < 0 || z[v] > z[best])) {
                        best = v;
                    }
                }
                filled[t] = best;
            }
        }
        out.println("masked:  " + corpus.tokenizer.decodeLossy(ids).replace("\n", "\\n"));
        out.println("filled:  " + corpus.tokenizer.decodeLossy(filled).replace("\n", "\\n"));
        if (original != null) {
            out.println("original:" + corpus.tokenizer.decodeLossy(original).replace("\n", "\\n"));
        }
    }

    /**
     * The checks that need no tokenizer: texts, tokenizer file, output folder, earlier checkpoints.
     * Returns the checkpoint to resume from (loaded and validated), if resuming and there is one.
     */
    private static Optional<Checkpoint> checkInputs(PretrainOptions o, CheckpointStore store) throws IOException {
        for (Path t : o.texts()) {
            InputFiles.requireText("--text", t, o.allowInvalidText(), "--allow-invalid-text");
        }
        if (o.tokenizer() != null) {
            checkTokenizer(o);
        }
        InputFiles.requireOutputFolder("--out", o.out());
        for (String f : List.of("checkpoints", Corpus.MANIFEST, "tokenizer.json", "tokens.bin")) {
            Path p = o.out().resolve(f);
            if (Files.exists(p) && Files.isDirectory(p) != f.equals("checkpoints")) {
                throw new UsageException("--out '" + o.out() + "' cannot be used: " + p + " is a "
                        + (Files.isDirectory(p) ? "folder" : "file"));
            }
        }
        List<Path> checkpoints = store.list();
        if (checkpoints.isEmpty()) {
            return Optional.empty();
        }
        if (!o.resume() && !o.overwrite()) {
            throw new UsageException("--out '" + o.out() + "' already holds checkpoints of an earlier run (newest "
                    + checkpoints.get(0).getFileName() + "): add --resume to continue it, or --overwrite to delete"
                    + " them and start afresh");
        }
        if (o.resume()) {
            Optional<Corpus.CacheProblem> p = Corpus.cacheProblem(o.out(), Corpus.source(o));
            if (p.isPresent() && p.get().sourceDiffers()) {
                throw new UsageException("--resume: the checkpoints in " + store.root() + " were trained on another"
                        + " corpus: " + p.get().reason() + "; give the same --text and tokenizer options, or use"
                        + " --overwrite or another --out");
            }
            Optional<Checkpoint> c = store.latest(); // the newest that validates; damaged ones are skipped with a warning
            if (c.isEmpty()) {
                throw new UsageException("--resume: none of the " + checkpoints.size() + " checkpoints in " + store.root()
                        + " is intact (newest " + checkpoints.get(0).getFileName() + "); use --overwrite to start afresh");
            }
            return c;
        }
        return Optional.empty();
    }

    private static void checkTokenizer(PretrainOptions o) throws IOException {
        Path f = o.tokenizer();
        if (!Files.isRegularFile(f)) {
            throw new UsageException("--tokenizer '" + f + "' is not a file");
        }
        Tokenizer tok;
        try {
            tok = Tokenizers.fromTokenizerJson(f);
        } catch (IOException | RuntimeException e) {
            throw new UsageException("--tokenizer '" + f + "' is not a usable tokenizer.json: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
        List<String> needed = o.objective() == PretrainTask.GPT ? List.of(Corpus.EOT)
                : List.of(Corpus.EOT, Corpus.MASK, Corpus.PAD);
        for (String s : needed) {
            if (!tok.specialTokens().containsKey(s)) {
                throw new UsageException("--tokenizer '" + f + "' has no special token " + s + " (--objective "
                        + o.objective().name().toLowerCase() + " needs " + needed + "; it has "
                        + tok.specialTokens().keySet() + ")");
            }
        }
    }

    /** The prompt (GPT) must leave room to sample; the fill text (BERT) must fit the context and hold a mask. */
    private static void checkPromptAndFill(PretrainOptions o, Corpus corpus) {
        if (o.objective() == PretrainTask.GPT) {
            int len = Math.max(1, corpus.tokenizer.encodeOrdinary(o.prompt()).length); // an empty prompt starts at <|endoftext|>
            if (len >= o.context()) {
                throw new UsageException("--prompt is " + len + " tokens; it must be shorter than --context "
                        + o.context() + " to leave room for sampling");
            }
        } else if (o.fill() != null) {
            int[] ids = corpus.tokenizer.encode(o.fill(), Set.of(Corpus.MASK));
            int mask = corpus.special(Corpus.MASK);
            if (Arrays.stream(ids).noneMatch(id -> id == mask)) {
                throw new UsageException("--fill has no " + Corpus.MASK + " placeholder to fill in: '" + o.fill() + "'");
            }
            if (ids.length > o.context()) {
                throw new UsageException("--fill is " + ids.length + " tokens; it must fit --context " + o.context());
            }
        }
    }

    /** Deletes an earlier run's checkpoints (--overwrite): renamed aside first, so no half-deleted folder keeps the name. */
    private static void deleteCheckpoints(Path dir) throws IOException {
        Path aside = dir.resolveSibling("." + dir.getFileName() + ".deleting-" + System.nanoTime());
        Files.move(dir, aside);
        try (Stream<Path> s = Files.walk(aside)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Accuracy of always predicting the most frequent target of the validation batches. */
    static double mostFrequentTargetAccuracy(List<Batch> batches) {
        Map<Integer, Long> counts = new HashMap<>();
        long total = 0;
        for (Batch b : batches) {
            for (int t : Flat.ints(b.targets())) {
                if (t != CrossEntropyOptions.DEFAULT_IGNORE_INDEX) {
                    counts.merge(t, 1L, Long::sum);
                    total++;
                }
            }
        }
        long max = counts.values().stream().mapToLong(Long::longValue).max().orElse(0);
        return total == 0 ? Double.NaN : (double) max / total;
    }

    /**
     * Tokens per second and the loss of each step, and the stop conditions: the time limit and
     * {@code --stop-after} (asks the trainer to stop, with a checkpoint, once either is reached).
     */
    private static final class Throughput implements TrainingListener {
        private final long tokensPerStep;
        private final long limitSeconds;
        private final long stopAfter;
        private final Trainer trainer;
        private final long start = System.nanoTime();
        private final List<Double> losses = new ArrayList<>();
        private double seconds;
        private long steps;

        Throughput(long tokensPerStep, long limitSeconds, long stopAfter, Trainer trainer) {
            this.tokensPerStep = tokensPerStep;
            this.limitSeconds = limitSeconds;
            this.stopAfter = stopAfter;
            this.trainer = trainer;
        }

        @Override
        public void onStep(StepMetrics m) {
            seconds += m.seconds();
            steps++;
            losses.add(m.loss());
            if ((limitSeconds > 0 && (System.nanoTime() - start) / 1e9 >= limitSeconds)
                    || (stopAfter > 0 && m.step() >= stopAfter)) {
                trainer.requestStop();
            }
        }

        double[] losses() {
            return losses.stream().mapToDouble(Double::doubleValue).toArray();
        }

        double tokensPerSecond() {
            return seconds > 0 ? steps * tokensPerStep / seconds : Double.NaN;
        }
    }
}
