package dev.tessera.training.cli;

import dev.tessera.attention.PositionEncoding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line settings of {@link Pretrain}; {@link #usage()} lists them with defaults. The defaults
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
public record PretrainOptions(Objective objective, List<Path> texts, Path out, Path tokenizer, int vocab, int layers,
        int heads, int embd, int context, int batch, int accum, long steps, double lr, long warmup, double dropout,
        long evalEvery, int evalBatches, long ckptEvery, long timeLimitSeconds, long stopAfter, boolean resume,
        String prompt, int maxNew, double temperature, int topK, String fill, double maskProb,
        PositionEncoding positions, boolean preNorm, long seed) {
    public PretrainOptions {
        if (objective == null) {
            throw new IllegalArgumentException("--objective must be gpt or bert");
        }
        if (texts == null || texts.isEmpty()) {
            throw new IllegalArgumentException("--text is required (a UTF-8 text file; repeat for several)");
        }
        if (out == null) {
            throw new IllegalArgumentException("--out is required (a working directory)");
        }
        positive("--vocab", vocab);
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
            throw new IllegalArgumentException("--embd (" + embd + ") must be divisible by --heads (" + heads + ")");
        }
        if (!(lr > 0) || warmup < 0 || warmup >= steps) {
            throw new IllegalArgumentException("--lr must be > 0 and --warmup in [0, --steps) but were " + lr + ", " + warmup);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("--dropout must be in [0, 1) but was " + dropout);
        }
        if (!(maskProb > 0 && maskProb <= 1)) {
            throw new IllegalArgumentException("--mask-prob must be in (0, 1] but was " + maskProb);
        }
        if (timeLimitSeconds < 0) {
            throw new IllegalArgumentException("--time-limit must be >= 0 but was " + timeLimitSeconds);
        }
        if (stopAfter < 0) {
            throw new IllegalArgumentException("--stop-after must be >= 0 (0: none) but was " + stopAfter);
        }
        if (positions != PositionEncoding.ROPE && positions != PositionEncoding.ABSOLUTE) {
            throw new IllegalArgumentException("--positions must be rope or learned but was " + positions);
        }
        if (objective == Objective.BERT && positions == PositionEncoding.ROPE && (embd / heads) % 2 != 0) {
            throw new IllegalArgumentException("--positions rope needs an even head size --embd / --heads but it was "
                    + embd / heads);
        }
        texts = List.copyOf(texts);
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0 but was " + v);
        }
    }

    /** Parses {@code --name value} pairs (and the flag {@code --resume}). */
    public static PretrainOptions parse(String[] args) {
        Map<String, String> kv = new LinkedHashMap<>();
        List<Path> texts = new ArrayList<>();
        boolean resume = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--resume")) {
                resume = true;
                continue;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value pairs but got '" + a + "'\n" + usage());
            }
            String v = args[++i];
            if (a.equals("--text")) {
                texts.add(Path.of(v));
            } else {
                if (!KNOWN.contains(a)) {
                    throw new IllegalArgumentException("unknown option " + a + "\n" + usage());
                }
                kv.put(a, v);
            }
        }
        Objective obj = switch (kv.getOrDefault("--objective", "gpt").toLowerCase()) {
            case "gpt" -> Objective.GPT;
            case "bert" -> Objective.BERT;
            default -> throw new IllegalArgumentException("--objective must be gpt or bert but was " + kv.get("--objective"));
        };
        PositionEncoding positions = switch (kv.getOrDefault("--positions", "rope").toLowerCase()) {
            case "rope" -> PositionEncoding.ROPE;
            case "learned" -> PositionEncoding.ABSOLUTE;
            default -> throw new IllegalArgumentException("--positions must be rope or learned but was "
                    + kv.get("--positions"));
        };
        boolean preNorm = switch (kv.getOrDefault("--norm", "pre").toLowerCase()) {
            case "pre" -> true;
            case "post" -> false;
            default -> throw new IllegalArgumentException("--norm must be pre or post but was " + kv.get("--norm"));
        };
        return new PretrainOptions(obj, texts, kv.containsKey("--out") ? Path.of(kv.get("--out")) : null,
                kv.containsKey("--tokenizer") ? Path.of(kv.get("--tokenizer")) : null,
                integer(kv, "--vocab", 1024), integer(kv, "--layers", 2), integer(kv, "--heads", 4),
                integer(kv, "--embd", 128), integer(kv, "--context", 64), integer(kv, "--batch", 16),
                integer(kv, "--accum", 1), integer(kv, "--steps", 400), number(kv, "--lr", 3e-3), integer(kv, "--warmup", 20),
                number(kv, "--dropout", 0.0), integer(kv, "--eval-every", 100), integer(kv, "--eval-batches", 16),
                integer(kv, "--ckpt-every", 200), integer(kv, "--time-limit", 0), integer(kv, "--stop-after", 0), resume,
                kv.getOrDefault("--prompt", "The "), integer(kv, "--max-new", 100), number(kv, "--temperature", 0.8),
                integer(kv, "--top-k", 40), kv.getOrDefault("--fill", null), number(kv, "--mask-prob", 0.15),
                positions, preNorm, integer(kv, "--seed", 1));
    }

    private static final List<String> KNOWN = List.of("--objective", "--out", "--tokenizer", "--vocab", "--layers",
            "--heads", "--embd", "--context", "--batch", "--accum", "--steps", "--lr", "--warmup", "--dropout",
            "--eval-every", "--eval-batches", "--ckpt-every", "--time-limit", "--stop-after", "--prompt", "--max-new", "--temperature",
            "--top-k", "--fill", "--mask-prob", "--positions", "--norm", "--seed");

    private static int integer(Map<String, String> kv, String name, int dflt) {
        String v = kv.get(name);
        try {
            return v == null ? dflt : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer but was '" + v + "'");
        }
    }

    private static double number(Map<String, String> kv, String name, double dflt) {
        String v = kv.get(name);
        try {
            return v == null ? dflt : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number but was '" + v + "'");
        }
    }

    public static String usage() {
        return """
                usage: Pretrain --text FILE [--text FILE ...] --out DIR [options]
                  --objective gpt|bert   (gpt)        --tokenizer tokenizer.json (train one)   --vocab N (1024)
                  --layers N (2) --heads N (4) --embd N (128) --context T (64) --dropout P (0)
                  --batch B (16) --accum N (1) --steps N (400) --lr X (3e-3) --warmup N (20)
                  --eval-every N (100) --eval-batches N (16) --ckpt-every N (200) --time-limit SECONDS (0: none)
                  --stop-after N (0: none; stop with a checkpoint after step N, keeping the --steps schedule)
                  --resume   --seed N (1)
                  gpt:  --prompt TEXT ("The ") --max-new N (100) --temperature X (0.8) --top-k K (40)
                  bert: --fill "TEXT with <|mask|> placeholders" --mask-prob P (0.15)
                        --positions rope|learned (rope) --norm pre|post (pre)
                """;
    }
}
