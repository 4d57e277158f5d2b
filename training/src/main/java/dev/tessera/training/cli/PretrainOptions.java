package dev.tessera.training.cli;

import dev.tessera.attention.PositionEncoding;
import java.nio.file.Path;
import dev.tessera.cli.CliOption;
import dev.tessera.cli.OptionParser;
import dev.tessera.cli.ParsedOptions;
import dev.tessera.cli.UsageException;
import java.nio.file.InvalidPathException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line settings of {@link Pretrain}. One table ({@link #OPTIONS}) holds every option's
 * name, default and help text: {@link #parse} reads the defaults from it and {@link #usage()} is
 * written from it, so the two cannot disagree. The defaults
 * (vocabulary 1024, 2 layers, width 128, 4 heads, context 64, batch 16, 400 steps at 3e-3 with 20
 * warmup steps) are sized for a few MB of text and about five minutes on two CPU cores.
 *
 * @param objective GPT or BERT
 * @param texts UTF-8 text files; each is one document (packed with a separator)
 * @param out working directory: tokenizer.json, tokens.bin, checkpoints/
 * @param tokenizer a tokenizer.json to use instead of training one, or null
 * @param vocab vocabulary size when training a tokenizer
 * @param layers transformer blocks
 * @param heads attention heads
 * @param embd model width
 * @param context sequence length T (also the model's maximum)
 * @param batch sequences per micro-batch
 * @param accum micro-batches per step
 * @param steps optimizer steps (the schedule's length)
 * @param lr peak learning rate
 * @param warmup warmup steps
 * @param dropout dropout probability
 * @param evalEvery evaluate every N steps
 * @param evalBatches validation batches per evaluation
 * @param ckptEvery checkpoint every N steps
 * @param timeLimitSeconds stop (with a checkpoint) after this many seconds of training, 0 for none
 * @param stopAfter stop (with a checkpoint) once this many steps are done, keeping the schedule of
 *     {@code steps}, so that a later {@code --resume} continues exactly as an uninterrupted run; 0 for none
 * @param resume continue from the newest checkpoint in out/checkpoints
 * @param overwrite start a fresh run even though out/checkpoints holds an earlier run's checkpoints
 *     (they are deleted)
 * @param allowInvalidText train on text files that are not UTF-8 text (malformed bytes become U+FFFD)
 * @param prompt GPT: text to continue after training
 * @param maxNew GPT: tokens to sample
 * @param temperature GPT: sampling temperature
 * @param topK GPT: top-k
 * @param fill BERT: text with {@code <|mask|>} placeholders to fill in after training
 * @param maskProb BERT: fraction of tokens selected for the loss (BERT: 0.15; 0.3–0.4 gives more
 *     signal per step, Wettig et al. 2022), each then masked/replaced/kept 80/10/10
 * @param positions BERT: {@link PositionEncoding#ROPE} (rotary, the default: learns context within
 *     the first hundred steps) or {@link PositionEncoding#ABSOLUTE} (BERT's learned table, which sits at
 *     the unigram solution for many hundreds of steps before attention finds the neighbours)
 * @param preNorm BERT: pre-LN blocks with a final LayerNorm (default) or BERT's post-LN
 * @param seed seeds initialisation, data order, masking and sampling
 */
public record PretrainOptions(PretrainTask objective, List<Path> texts, Path out, Path tokenizer, int vocab, int layers,
        int heads, int embd, int context, int batch, int accum, long steps, double lr, long warmup, double dropout,
        long evalEvery, int evalBatches, long ckptEvery, long timeLimitSeconds, long stopAfter, boolean resume,
        boolean overwrite, boolean allowInvalidText, String prompt, int maxNew, double temperature, int topK, String fill,
        double maskProb, PositionEncoding positions, boolean preNorm, long seed) {
    /** 256 byte tokens and the three special tokens. */
    static final int MIN_VOCAB = 256 + 3;
    private static final List<String> GPT_ONLY = List.of("--prompt", "--max-new", "--temperature", "--top-k");
    private static final List<String> BERT_ONLY = List.of("--fill", "--mask-prob", "--positions", "--norm");

    /** Every option, its default and its help: the one source of parsing and of the usage text. */
    static final OptionParser OPTIONS = new OptionParser(
            "usage: Pretrain --text FILE [--text FILE ...] --out DIR [options]", List.of(
                    CliOption.value("--objective", "gpt|bert", "gpt", "next-token GPT or masked-LM BERT-style encoder"),
                    CliOption.repeated("--text", "FILE", "UTF-8 text to train on, one document per file (required)"),
                    CliOption.value("--out", "DIR", null, "working folder: tokenizer.json, tokens.bin, corpus.json,"
                            + " checkpoints/ (required)"),
                    CliOption.value("--tokenizer", "FILE", null, "a tokenizer.json to use (default: train a byte-level BPE)"),
                    CliOption.value("--vocab", "N", "1024", "vocabulary size of the trained tokenizer, >= " + MIN_VOCAB),
                    CliOption.value("--layers", "N", "2", "transformer blocks"),
                    CliOption.value("--heads", "N", "4", "attention heads"),
                    CliOption.value("--embd", "N", "128", "model width, a multiple of --heads"),
                    CliOption.value("--context", "T", "64", "sequence length"),
                    CliOption.value("--dropout", "P", "0", "dropout probability, [0, 1)"),
                    CliOption.value("--batch", "B", "16", "sequences per micro-batch"),
                    CliOption.value("--accum", "N", "1", "micro-batches per step"),
                    CliOption.value("--steps", "N", "400", "optimizer steps (the schedule's length)"),
                    CliOption.value("--lr", "X", "3e-3", "peak learning rate"),
                    CliOption.value("--warmup", "N", "20", "warmup steps, < --steps"),
                    CliOption.value("--eval-every", "N", "100", "evaluate every N steps"),
                    CliOption.value("--eval-batches", "N", "16", "validation batches per evaluation"),
                    CliOption.value("--ckpt-every", "N", "200", "checkpoint every N steps"),
                    CliOption.value("--time-limit", "SECONDS", "0", "stop with a checkpoint after this long (0: none)"),
                    CliOption.value("--stop-after", "N", "0", "stop with a checkpoint after step N, keeping the --steps"
                            + " schedule (0: none)"),
                    CliOption.flag("--resume", "continue from the newest checkpoint in DIR/checkpoints"),
                    CliOption.flag("--overwrite", "start afresh over DIR/checkpoints (deletes them)"),
                    CliOption.flag("--allow-invalid-text", "train on text that is not UTF-8 (NUL bytes, malformed"
                            + " sequences, each malformed sequence as U+FFFD)"),
                    CliOption.value("--seed", "N", "1", "seeds initialisation, data order, masking and sampling"),
                    CliOption.value("--prompt", "TEXT", "The ", "gpt: text to continue after training"),
                    CliOption.value("--max-new", "N", "100", "gpt: tokens to sample"),
                    CliOption.value("--temperature", "X", "0.8", "gpt: sampling temperature (0: greedy)"),
                    CliOption.value("--top-k", "K", "40", "gpt: sample from the K most likely tokens (0: all)"),
                    CliOption.value("--fill", "TEXT", null, "bert: text with <|mask|> placeholders to fill in"
                            + " (default: a validation window with every 7th token masked)"),
                    CliOption.value("--mask-prob", "P", "0.15", "bert: fraction of tokens in the loss, (0, 1]"),
                    CliOption.value("--positions", "rope|learned", "rope", "bert: rotary or learned positions"),
                    CliOption.value("--norm", "pre|post", "pre", "bert: pre-LN or BERT's post-LN blocks")),
            null);

    public PretrainOptions {
        if (objective == null) {
            throw new UsageException("--objective must be gpt or bert");
        }
        if (texts == null || texts.isEmpty()) {
            throw new UsageException("--text is required (a UTF-8 text file; repeat for several)");
        }
        if (out == null) {
            throw new UsageException("--out is required (a working folder)");
        }
        if (vocab < MIN_VOCAB) {
            throw new UsageException("--vocab must be >= " + MIN_VOCAB + " but was " + vocab);
        }
        positive("--layers", layers);
        positive("--heads", heads);
        positive("--embd", embd);
        positive("--context", context);
        positive("--batch", batch);
        positive("--accum", accum);
        positive("--steps", steps);
        positive("--eval-every", evalEvery);
        positive("--eval-batches", evalBatches);
        positive("--ckpt-every", ckptEvery);
        positive("--max-new", maxNew);
        if (embd % heads != 0) {
            throw new UsageException("--embd (" + embd + ") must be divisible by --heads (" + heads + ")");
        }
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new UsageException("--lr must be > 0 but was " + lr);
        }
        if (warmup < 0 || warmup >= steps) {
            throw new UsageException("--warmup must be < --steps (" + steps + ") and >= 0 but was " + warmup);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new UsageException("--dropout must be in [0, 1) but was " + dropout);
        }
        if (!(maskProb > 0 && maskProb <= 1)) {
            throw new UsageException("--mask-prob must be in (0, 1] but was " + maskProb);
        }
        if (!(temperature >= 0) || !Double.isFinite(temperature)) {
            throw new UsageException("--temperature must be >= 0 but was " + temperature);
        }
        if (topK < 0) {
            throw new UsageException("--top-k must be >= 0 but was " + topK);
        }
        if (timeLimitSeconds < 0) {
            throw new UsageException("--time-limit must be >= 0 but was " + timeLimitSeconds);
        }
        if (stopAfter < 0) {
            throw new UsageException("--stop-after must be >= 0 (0: none) but was " + stopAfter);
        }
        if (resume && overwrite) {
            throw new UsageException("--resume and --overwrite exclude each other (continue the run, or start afresh)");
        }
        if (positions != PositionEncoding.ROPE && positions != PositionEncoding.ABSOLUTE) {
            throw new UsageException("--positions must be rope or learned but was " + positions);
        }
        if (objective == PretrainTask.BERT && positions == PositionEncoding.ROPE && (embd / heads) % 2 != 0) {
            throw new UsageException("--positions rope needs an even head size --embd / --heads but it was "
                    + embd / heads);
        }
        if (prompt == null) {
            throw new UsageException("--prompt must not be null");
        }
        texts = List.copyOf(texts);
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new UsageException(name + " must be > 0 but was " + v);
        }
    }

    /** Parses a command line; a bad one throws {@link UsageException} naming the option and value. */
    public static PretrainOptions parse(String[] args) {
        return from(OPTIONS.parse(args));
    }

    /** The options of a parsed command line (defaults from {@link #OPTIONS}). */
    static PretrainOptions from(ParsedOptions p) {
        PretrainTask obj = p.choice("--objective", choices("gpt", PretrainTask.GPT, "bert", PretrainTask.BERT));
        for (String o : obj == PretrainTask.GPT ? BERT_ONLY : GPT_ONLY) {
            if (p.given(o)) {
                throw new UsageException(o + " applies only to --objective " + (obj == PretrainTask.GPT ? "bert" : "gpt")
                        + " but was given ('" + p.string(o) + "') with --objective " + obj.name().toLowerCase());
            }
        }
        if (p.given("--tokenizer") && p.given("--vocab")) {
            throw new UsageException("--vocab applies only when training a tokenizer, but --tokenizer '"
                    + p.string("--tokenizer") + "' is given (with --vocab " + p.string("--vocab") + ")");
        }
        List<Path> texts = p.all("--text").stream().map(t -> path("--text", t)).toList();
        return new PretrainOptions(obj, texts, p.string("--out") == null ? null : path("--out", p.string("--out")),
                p.string("--tokenizer") == null ? null : path("--tokenizer", p.string("--tokenizer")),
                p.integer("--vocab", MIN_VOCAB, 1 << 20), p.integer("--layers", 1, 256), p.integer("--heads", 1, 1024),
                p.integer("--embd", 1, 1 << 14), p.integer("--context", 1, 1 << 16), p.integer("--batch", 1, 1 << 16),
                p.integer("--accum", 1, 1 << 16), p.longValue("--steps", 1, Long.MAX_VALUE),
                p.number("--lr", 0, 1e6), p.longValue("--warmup", 0, Long.MAX_VALUE), p.number("--dropout", 0, 1),
                p.longValue("--eval-every", 1, Long.MAX_VALUE), p.integer("--eval-batches", 1, 1 << 16),
                p.longValue("--ckpt-every", 1, Long.MAX_VALUE), p.longValue("--time-limit", 0, Long.MAX_VALUE),
                p.longValue("--stop-after", 0, Long.MAX_VALUE), p.flag("--resume"), p.flag("--overwrite"),
                p.flag("--allow-invalid-text"), p.string("--prompt"), p.integer("--max-new", 1, 1 << 16),
                p.number("--temperature", 0, 1e6), p.integer("--top-k", 0, Integer.MAX_VALUE), p.string("--fill"),
                p.number("--mask-prob", 0, 1), p.choice("--positions", choices("rope", PositionEncoding.ROPE, "learned",
                        PositionEncoding.ABSOLUTE)), p.choice("--norm", choices("pre", true, "post", false)),
                p.longValue("--seed", Long.MIN_VALUE, Long.MAX_VALUE));
    }

    private static <T> Map<String, T> choices(String a, T x, String b, T y) {
        Map<String, T> m = new LinkedHashMap<>();
        m.put(a, x);
        m.put(b, y);
        return m;
    }

    private static Path path(String option, String value) {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new UsageException(option + " '" + value + "' is not a valid path: " + e.getReason());
        }
    }

    /** The usage text, written from {@link #OPTIONS}. */
    public static String usage() {
        return OPTIONS.usage();
    }
}
