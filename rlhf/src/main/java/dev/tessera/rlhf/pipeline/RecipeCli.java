package dev.tessera.rlhf.pipeline;

import dev.tessera.rlhf.model.RewardModel;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Command line of the recipe demo. From the repository root:
 * <pre>
 *   mvn -B -ntp -q install -DskipTests -pl rlhf -am
 *   mvn -B -ntp -q -pl rlhf exec:java
 *   mvn -B -ntp -q -pl rlhf exec:java -Dexec.args="--seed 7 --size tiny --steps-scale 0.5"
 * </pre>
 * Options:
 * <pre>
 *   --seed N               every random choice derives from it (default 1234)
 *   --size tiny|small|medium   model preset (default small)
 *   --preset default|tiny  starting configuration (tiny: a seconds-long smoke run)
 *   --steps-scale F        multiply every stage's steps by F
 *   --steps-pretrain N, --steps-sft N, --steps-rm N, --steps-ppo N (iterations), --steps-dpo N
 *   --rm-prompts N, --rm-k K   prompts the labeller ranks, and samples per prompt
 *   --rm-readout last|sum|sum-lm  where the reward model reads the trunk (default sum-lm)
 *   --ptx COEF             PPO-ptx: weight of the pretraining LM loss in PPO (default 0)
 *   --kl-target NATS       the KL to the SFT model the adaptive controller steers PPO to (default 1.5)
 *   --pretrain-text FILE   pretrain on this UTF-8 text (blank-line separated documents)
 *   --out DIR              where the report and tables go (default target/recipe)
 *   --verbose              library log lines (slf4j, level info) as well
 * </pre>
 */
public final class RecipeCli {
    private RecipeCli() {}

    public static void main(String[] args) throws Exception {
        List<String> a = List.of(args);
        if (a.contains("--help") || a.contains("-h")) {
            usage(System.out);
            return;
        }
        if (!a.contains("--verbose") && System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            // set before the first logger exists; the progress bars say what the info lines would
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        RecipeConfig config;
        Path out;
        try {
            Parsed p = parse(args);
            config = p.config();
            out = p.out();
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            usage(System.err);
            System.exit(2);
            return;
        }
        PrintStream o = System.out;
        o.printf(Locale.ROOT, "Tessera recipe: seed %d, model %s, output %s%n", config.seed(),
                config.size().name().toLowerCase(Locale.ROOT), out.toAbsolutePath());
        long t0 = System.nanoTime();
        RecipeResult r = new RecipePipeline(config, new ConsoleStageProgress(o, System.console() != null)).run(out);
        double total = (System.nanoTime() - t0) / 1e9;
        print(o, r, total);
    }

    /** Parsed options: the configuration and the output folder. */
    record Parsed(RecipeConfig config, Path out) {}

    static Parsed parse(String[] args) {
        RecipeConfig c = RecipeConfig.defaults();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--preset")) {
                String v = value(args, ++i, "--preset");
                c = switch (v) {
                    case "default" -> RecipeConfig.defaults();
                    case "tiny" -> RecipeConfig.tiny();
                    default -> throw new IllegalArgumentException("--preset must be default or tiny but was " + v);
                };
            }
        }
        Path out = Path.of("target", "recipe");
        for (int i = 0; i < args.length; i++) {
            String f = args[i];
            switch (f) {
                case "--preset" -> i++;
                case "--verbose" -> { }
                case "--seed" -> c = c.withSeed(longValue(args, ++i, f));
                case "--size" -> {
                    String v = value(args, ++i, f);
                    try {
                        c = c.withSize(ModelSize.valueOf(v.toUpperCase(Locale.ROOT)));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("--size must be tiny, small or medium but was " + v);
                    }
                }
                case "--steps-scale" -> c = c.scaleSteps(doubleValue(args, ++i, f));
                case "--steps-pretrain" -> {
                    RecipeConfig.Pretrain p = c.pretrain();
                    c = c.withPretrain(new RecipeConfig.Pretrain(p.documents(), p.vocabSize(), p.contextLength(),
                            intValue(args, ++i, f), p.batchSize(), p.learningRate()));
                }
                case "--steps-sft" -> {
                    RecipeConfig.Sft s = c.sft();
                    c = c.withSft(new RecipeConfig.Sft(s.examples(), intValue(args, ++i, f), s.batchSize(), s.learningRate()));
                }
                case "--steps-rm" -> {
                    RecipeConfig.Reward r = c.reward();
                    c = c.withReward(new RecipeConfig.Reward(r.prompts(), r.k(), r.heldOutFraction(), intValue(args, ++i, f),
                            r.batchSize(), r.learningRate(), r.readout()));
                }
                case "--rm-prompts" -> {
                    RecipeConfig.Reward r = c.reward();
                    c = c.withReward(new RecipeConfig.Reward(intValue(args, ++i, f), r.k(), r.heldOutFraction(), r.steps(),
                            r.batchSize(), r.learningRate(), r.readout()));
                }
                case "--rm-k" -> {
                    RecipeConfig.Reward r = c.reward();
                    c = c.withReward(new RecipeConfig.Reward(r.prompts(), intValue(args, ++i, f), r.heldOutFraction(), r.steps(),
                            r.batchSize(), r.learningRate(), r.readout()));
                }
                case "--rm-readout" -> {
                    RecipeConfig.Reward r = c.reward();
                    String v = value(args, ++i, f);
                    RewardModel.Readout readout = switch (v) {
                        case "last" -> RewardModel.Readout.LAST_TOKEN;
                        case "sum" -> RewardModel.Readout.RESPONSE_SUM;
                        case "sum-lm" -> RewardModel.Readout.RESPONSE_SUM_LM;
                        default -> throw new IllegalArgumentException("--rm-readout must be last, sum or sum-lm but was " + v);
                    };
                    c = c.withReward(new RecipeConfig.Reward(r.prompts(), r.k(), r.heldOutFraction(), r.steps(), r.batchSize(),
                            r.learningRate(), readout));
                }
                case "--steps-ppo" -> {
                    RecipeConfig.Ppo p = c.ppo();
                    c = c.withPpo(new RecipeConfig.Ppo(intValue(args, ++i, f), p.rolloutBatch(), p.minibatchSize(), p.epochs(),
                            p.learningRate(), p.initialBeta(), p.klTarget(), p.klHorizon(), p.ptxCoef(),
                            p.valueFromRewardModel()));
                }
                case "--ptx" -> {
                    RecipeConfig.Ppo p = c.ppo();
                    c = c.withPpo(new RecipeConfig.Ppo(p.iterations(), p.rolloutBatch(), p.minibatchSize(), p.epochs(),
                            p.learningRate(), p.initialBeta(), p.klTarget(), p.klHorizon(), doubleValue(args, ++i, f),
                            p.valueFromRewardModel()));
                }
                case "--kl-target" -> {
                    RecipeConfig.Ppo p = c.ppo();
                    c = c.withPpo(new RecipeConfig.Ppo(p.iterations(), p.rolloutBatch(), p.minibatchSize(), p.epochs(),
                            p.learningRate(), p.initialBeta(), doubleValue(args, ++i, f), p.klHorizon(), p.ptxCoef(),
                            p.valueFromRewardModel()));
                }
                case "--steps-dpo" -> {
                    RecipeConfig.Dpo d = c.dpo();
                    c = c.withDpo(new RecipeConfig.Dpo(intValue(args, ++i, f), d.batchSize(), d.beta(), d.learningRate()));
                }
                case "--pretrain-text" -> c = c.withPretrainText(Path.of(value(args, ++i, f)));
                case "--out" -> out = Path.of(value(args, ++i, f));
                default -> throw new IllegalArgumentException("unknown option " + f);
            }
        }
        return new Parsed(c, out);
    }

    private static void print(PrintStream o, RecipeResult r, double total) {
        RecipeTable t = r.table();
        o.println();
        o.println("== Results (held-out prompts, scored by the hidden labeller) ==");
        for (List<String> row : t.summaryRows()) {
            o.printf(Locale.ROOT, "  %-52s %s%n", row.get(0), row.get(1));
        }
        o.println();
        String layout = "  %-6s %16s %16s %14s %14s %10s %8s %8s %10s%n";
        o.printf(Locale.ROOT, layout, (Object[]) RecipeTable.policyHeader().toArray(new String[0]));
        for (List<String> row : t.policyRows()) {
            o.printf(Locale.ROOT, layout, row.toArray());
        }
        o.println();
        o.println("== Sample answers (greedy), before (SFT) and after PPO / DPO ==");
        for (Sample s : r.samples()) {
            o.printf(Locale.ROOT, "  prompt: %-22s ideal: %s%n", s.prompt(), s.ideal());
            o.printf(Locale.ROOT, "    SFT [%.2f]  %s%n", s.sft().score(), s.sft().shown());
            o.printf(Locale.ROOT, "    PPO [%.2f]  %s%n", s.ppo().score(), s.ppo().shown());
            o.printf(Locale.ROOT, "    DPO [%.2f]  %s%n", s.dpo().score(), s.dpo().shown());
        }
        o.println();
        o.printf(Locale.ROOT, "report: %s%ntable:  %s, %s%ntotal:  %.1f s%n", r.report().toAbsolutePath(), r.json().toAbsolutePath(),
                r.csv().toAbsolutePath(), total);
    }

    private static void usage(PrintStream o) {
        o.println("""
                usage: RecipeCli [options]
                  --seed N                 random seed (default 1234)
                  --size tiny|small|medium model preset (default small)
                  --preset default|tiny    starting configuration (tiny: a seconds-long smoke run)
                  --steps-scale F          multiply every stage's step count by F
                  --steps-pretrain N       pretraining steps
                  --steps-sft N            SFT steps
                  --steps-rm N             reward-model steps
                  --steps-ppo N            PPO iterations
                  --steps-dpo N            DPO steps
                  --rm-prompts N           prompts whose samples the labeller ranks
                  --rm-k K                 samples per ranked prompt (2-9)
                  --rm-readout last|sum|sum-lm  reward head at the last token, summed over the response, or
                                           summed plus the trunk's log-likelihood of the response (default)
                  --ptx COEF               PPO-ptx: weight of the pretraining LM loss mixed into PPO (default 0)
                  --kl-target NATS         KL to the SFT model PPO's adaptive beta steers to (default 1.5)
                  --pretrain-text FILE     pretrain on this UTF-8 text instead of the generated corpus
                  --out DIR                output folder (default target/recipe)
                  --verbose                show the library's log lines""");
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static int intValue(String[] args, int i, String flag) {
        try {
            return Integer.parseInt(value(args, i, flag));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs an integer but got '" + args[i] + "'");
        }
    }

    private static long longValue(String[] args, int i, String flag) {
        try {
            return Long.parseLong(value(args, i, flag));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs an integer but got '" + args[i] + "'");
        }
    }

    private static double doubleValue(String[] args, int i, String flag) {
        try {
            return Double.parseDouble(value(args, i, flag));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs a number but got '" + args[i] + "'");
        }
    }
}
