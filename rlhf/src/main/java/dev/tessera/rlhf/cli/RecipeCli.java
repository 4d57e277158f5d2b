package dev.tessera.rlhf.cli;

import dev.tessera.cli.CliOption;
import dev.tessera.cli.InputFiles;
import dev.tessera.cli.OptionParser;
import dev.tessera.cli.ParsedOptions;
import dev.tessera.cli.UsageException;
import dev.tessera.io.AtomicFiles;
import dev.tessera.rlhf.model.RewardModel;
import dev.tessera.rlhf.pipeline.ModelSize;
import dev.tessera.rlhf.pipeline.RecipeConfig;
import dev.tessera.rlhf.pipeline.RecipePipeline;
import dev.tessera.rlhf.pipeline.RecipeResult;
import dev.tessera.rlhf.pipeline.RecipeTable;
import dev.tessera.rlhf.pipeline.Sample;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Command line of the recipe demo. From the repository root:
 * <pre>
 *   mvn -B -ntp -q install -DskipTests -pl rlhf -am
 *   mvn -B -ntp -q -pl rlhf exec:java
 *   mvn -B -ntp -q -pl rlhf exec:java -Dexec.args="--seed 7 --size tiny --steps-scale 0.5"
 *   mvn -B -ntp -q -pl rlhf exec:java -Dexec.args="--help"
 * </pre>
 * {@code --help} lists the options; their defaults are read from {@link RecipeConfig#defaults()},
 * so the help cannot disagree with the code. A bad option, value or input file is one line on
 * stderr and exit status 2, before anything is printed or written.
 */
public final class RecipeCli {
    private static final RecipeConfig DEFAULTS = RecipeConfig.defaults();
    private static final Path DEFAULT_OUT = Path.of("target", "recipe");

    static final OptionParser OPTIONS = new OptionParser("usage: RecipeCli [options]", List.of(
            CliOption.value("--seed", "N", String.valueOf(DEFAULTS.seed()), "every random choice derives from it"),
            CliOption.value("--size", "tiny|small|medium", lower(DEFAULTS.size().name()), "model preset"),
            CliOption.value("--preset", "default|tiny", "default", "starting configuration (tiny: a seconds-long"
                    + " smoke run); the options below change it"),
            CliOption.value("--steps-scale", "F", "1", "multiply every stage's step count by F"),
            CliOption.value("--steps-pretrain", "N", String.valueOf(DEFAULTS.pretrain().steps()), "pretraining steps"),
            CliOption.value("--steps-sft", "N", String.valueOf(DEFAULTS.sft().steps()), "SFT steps"),
            CliOption.value("--steps-rm", "N", String.valueOf(DEFAULTS.reward().steps()), "reward-model steps"),
            CliOption.value("--steps-ppo", "N", String.valueOf(DEFAULTS.ppo().iterations()), "PPO iterations"),
            CliOption.value("--steps-dpo", "N", String.valueOf(DEFAULTS.dpo().steps()), "DPO steps"),
            CliOption.value("--steps-grpo", "N", String.valueOf(DEFAULTS.grpo().iterations()), "GRPO iterations"),
            CliOption.value("--grpo-beta", "BETA", String.valueOf(DEFAULTS.grpo().beta()),
                    "weight of GRPO's KL-to-SFT term (k3) in its loss"),
            CliOption.value("--rm-prompts", "N", String.valueOf(DEFAULTS.reward().prompts()),
                    "prompts whose samples the labeller ranks"),
            CliOption.value("--rm-k", "K", String.valueOf(DEFAULTS.reward().k()), "samples per ranked prompt, 2-9"),
            CliOption.value("--rm-readout", String.join("|", readouts().keySet()), readoutName(DEFAULTS.reward().readout()),
                    "reward head at the last token, summed over the response, or summed plus the trunk's"
                            + " log-likelihood of the response"),
            CliOption.value("--ptx", "COEF", String.valueOf(DEFAULTS.ppo().ptxCoef()),
                    "PPO-ptx: weight of the pretraining LM loss mixed into PPO"),
            CliOption.value("--kl-target", "NATS", String.valueOf(DEFAULTS.ppo().klTarget()),
                    "KL to the SFT model that PPO's adaptive beta steers to"),
            CliOption.value("--pretrain-text", "FILE", null, "pretrain on this UTF-8 text (blank-line separated"
                    + " documents) instead of the generated corpus"),
            CliOption.value("--out", "DIR", DEFAULT_OUT.toString(), "output folder for the report and tables"),
            CliOption.flag("--verbose", "show the library's log lines (slf4j, level info)")),
            null);

    private RecipeCli() {}

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * Runs the command line: 0 on success (and for {@code --help}), 2 for a bad option, value or
     * input file (one line on {@code err}, nothing on {@code out}), 1 when writing fails midway.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Parsed p;
        try {
            ParsedOptions po = OPTIONS.parse(args);
            if (po.helpRequested()) {
                out.print(OPTIONS.usage());
                return 0;
            }
            p = from(po);
        } catch (IllegalArgumentException e) {
            err.println("RecipeCli: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("RecipeCli: " + e.getMessage());
            return 2;
        }
        if (!p.verbose() && System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            // set before the first logger exists; the progress bars say what the info lines would
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        RecipeConfig config = p.config();
        out.printf(Locale.ROOT, "Tessera recipe: seed %d, model %s, output %s%n", config.seed(),
                lower(config.size().name()), p.out().toAbsolutePath());
        long t0 = System.nanoTime();
        try {
            RecipeResult r = new RecipePipeline(config, new ConsoleStageProgress(out, System.console() != null)).run(p.out());
            Path report = p.out().resolve("report.html");
            AtomicFiles.write(report, tmp -> RecipeReport.write(r, config, tmp));
            print(out, r, report, (System.nanoTime() - t0) / 1e9);
            return 0;
        } catch (IOException | UncheckedIOException e) {
            err.println("RecipeCli: failed: " + e.getMessage());
            return 1;
        }
    }

    /** Parsed options: the configuration, the output folder, and whether to show library logs. */
    record Parsed(RecipeConfig config, Path out, boolean verbose) {}

    /** Parses a command line without checking the files it names. */
    static Parsed parse(String[] args) {
        return configure(OPTIONS.parse(args));
    }

    /** Parses and checks the named files: the pretraining text must be UTF-8 text, the output a usable folder. */
    private static Parsed from(ParsedOptions po) throws IOException {
        if (po.given("--pretrain-text")) {
            InputFiles.requireText("--pretrain-text", Path.of(po.string("--pretrain-text")), false, null);
        }
        Parsed p = configure(po);
        InputFiles.requireOutputFolder("--out", p.out());
        return p;
    }

    /**
     * The configuration: the preset, then seed, size and step scale, then each explicit setting
     * (so an explicit step count is not scaled). Only the options given change the preset.
     */
    private static Parsed configure(ParsedOptions po) {
        Map<String, RecipeConfig> presets = new LinkedHashMap<>(); // ordered: the error message lists them
        presets.put("default", DEFAULTS);
        presets.put("tiny", RecipeConfig.tiny());
        RecipeConfig c = po.choice("--preset", presets);
        if (po.given("--seed")) {
            c = c.withSeed(po.longValue("--seed", Long.MIN_VALUE, Long.MAX_VALUE));
        }
        if (po.given("--size")) {
            Map<String, ModelSize> sizes = new LinkedHashMap<>();
            for (ModelSize m : ModelSize.values()) {
                sizes.put(lower(m.name()), m);
            }
            c = c.withSize(po.choice("--size", sizes));
        }
        if (po.given("--steps-scale")) {
            c = c.scaleSteps(positive(po, "--steps-scale"));
        }
        if (po.given("--steps-pretrain")) {
            c = c.withPretrain(c.pretrain().withSteps(count(po, "--steps-pretrain")));
        }
        if (po.given("--steps-sft")) {
            c = c.withSft(c.sft().withSteps(count(po, "--steps-sft")));
        }
        if (po.given("--rm-prompts")) {
            c = c.withReward(c.reward().withPrompts(count(po, "--rm-prompts")));
        }
        if (po.given("--rm-k")) {
            c = c.withReward(c.reward().withK(po.integer("--rm-k", 2, 9)));
        }
        if (po.given("--steps-rm")) {
            c = c.withReward(c.reward().withSteps(count(po, "--steps-rm")));
        }
        if (po.given("--rm-readout")) {
            c = c.withReward(c.reward().withReadout(po.choice("--rm-readout", readouts())));
        }
        if (po.given("--steps-ppo")) {
            c = c.withPpo(c.ppo().withIterations(count(po, "--steps-ppo")));
        }
        if (po.given("--kl-target")) {
            c = c.withPpo(c.ppo().withKlTarget(positive(po, "--kl-target")));
        }
        if (po.given("--ptx")) {
            c = c.withPpo(c.ppo().withPtxCoef(po.number("--ptx", 0, 1e6)));
        }
        if (po.given("--steps-dpo")) {
            c = c.withDpo(c.dpo().withSteps(count(po, "--steps-dpo")));
        }
        if (po.given("--steps-grpo")) {
            c = c.withGrpo(c.grpo().withIterations(count(po, "--steps-grpo")));
        }
        if (po.given("--grpo-beta")) {
            c = c.withGrpo(c.grpo().withBeta(po.number("--grpo-beta", 0, 1e6)));
        }
        if (po.given("--pretrain-text")) {
            c = c.withPretrainText(Path.of(po.string("--pretrain-text")));
        }
        return new Parsed(c, Path.of(po.string("--out")), po.flag("--verbose"));
    }

    private static int count(ParsedOptions po, String name) {
        return po.integer(name, 1, Integer.MAX_VALUE);
    }

    private static double positive(ParsedOptions po, String name) {
        double v = po.number(name, 0, 1e6);
        if (v == 0) {
            throw new UsageException(name + " must be > 0 but was " + po.string(name));
        }
        return v;
    }

    private static Map<String, RewardModel.Readout> readouts() {
        Map<String, RewardModel.Readout> m = new LinkedHashMap<>();
        m.put("last", RewardModel.Readout.LAST_TOKEN);
        m.put("sum", RewardModel.Readout.RESPONSE_SUM);
        m.put("sum-lm", RewardModel.Readout.RESPONSE_SUM_LM);
        return m;
    }

    private static String readoutName(RewardModel.Readout r) {
        return readouts().entrySet().stream().filter(e -> e.getValue() == r).findFirst().orElseThrow().getKey();
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    private static void print(PrintStream o, RecipeResult r, Path report, double total) {
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
        o.println("== Sample answers (greedy), before (SFT) and after PPO / DPO / GRPO ==");
        for (Sample s : r.samples()) {
            o.printf(Locale.ROOT, "  prompt: %-22s ideal: %s%n", s.prompt(), s.ideal());
            o.printf(Locale.ROOT, "    SFT [%.2f]  %s%n", s.sft().score(), s.sft().shown());
            o.printf(Locale.ROOT, "    PPO [%.2f]  %s%n", s.ppo().score(), s.ppo().shown());
            o.printf(Locale.ROOT, "    DPO [%.2f]  %s%n", s.dpo().score(), s.dpo().shown());
            o.printf(Locale.ROOT, "    GRPO [%.2f] %s%n", s.grpo().score(), s.grpo().shown());
        }
        o.println();
        o.printf(Locale.ROOT, "report: %s%ntable:  %s, %s%ntotal:  %.1f s%n", report.toAbsolutePath(), r.json().toAbsolutePath(),
                r.csv().toAbsolutePath(), total);
    }
}
