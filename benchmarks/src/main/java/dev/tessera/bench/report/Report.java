package dev.tessera.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Turns a JMH JSON result file into {@code report.md} (a Markdown table of Tessera / anchor
 * speed-ups, with JMH's errors, plus every raw result) and {@code chart.svg}.
 *
 * <pre>
 * java -cp ... dev.tessera.bench.report.Report benchmarks/results/jmh-20260101T120000Z.json benchmarks/results
 * </pre>
 *
 * <p>Pairing convention (benchmarks/README.md): methods are named {@code <side>_<what>}; within a
 * class, results with the same {@code <what>}, mode and @Param values are compared, each
 * {@code tessera_<what>} against every other side ({@code pytorch}, {@code nd4j}, {@code naive},
 * {@code jtokkit}, ...). A class may declare {@code public static double flopsPerOp(Map<String,String>)}
 * to get GFLOP/s columns.
 */
public final class Report {

    private Report() {}

    /** @param args the JMH JSON file, then the output directory */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Report <jmh-result.json> <output-dir>");
            System.exit(2);
        }
        Path json = Path.of(args[0]);
        Path out = Path.of(args[1]);
        List<BenchResult> results = BenchResult.read(json);
        List<Comparison> comparisons = Comparison.pair(results);
        Files.createDirectories(out);
        String md = markdown(json.getFileName().toString(), results, comparisons);
        Files.writeString(out.resolve("report.md"), md, StandardCharsets.UTF_8);
        Files.writeString(out.resolve("chart.svg"),
                SvgChart.render("Tessera vs anchors (" + json.getFileName() + ")", comparisons), StandardCharsets.UTF_8);
        System.out.print(md);
        System.out.println();
        System.out.println("wrote " + out.resolve("report.md") + " and " + out.resolve("chart.svg"));
    }

    static String markdown(String source, List<BenchResult> results, List<Comparison> comparisons) {
        StringBuilder s = new StringBuilder();
        s.append("Results from `").append(source).append("`. Speed-up = anchor time / Tessera time ")
                .append("(memory rows: anchor bytes / Tessera bytes); ≥ 1.00× means Tessera is at least as good. ")
                .append("± is JMH's 99.9% confidence half-width; the speed-up's combines both sides'.\n\n");
        boolean flops = comparisons.stream().anyMatch(c -> Double.isFinite(Comparison.gflops(c.tessera())));
        s.append("| Benchmark | Params | vs | Tessera | Anchor | Speed-up |").append(flops ? " Tessera GFLOP/s | Anchor GFLOP/s |" : "")
                .append('\n');
        s.append("|---|---|---|---:|---:|---:|").append(flops ? "---:|---:|" : "").append('\n');
        for (Comparison c : comparisons) {
            BenchResult t = c.tessera();
            BenchResult a = c.anchor();
            boolean time = c.metric().equals("time");
            String ts = time ? score(t.score(), t.error(), t.unit())
                    : metric(t.secondary().get(c.metric()));
            String as = time ? score(a.score(), a.error(), a.unit())
                    : metric(a.secondary().get(c.metric()));
            s.append("| ").append(t.simpleClass()).append('.').append(t.suffix()).append(time ? "" : " (" + c.metric() + ")")
                    .append(" | ").append(t.paramText()).append(" | ").append(a.side())
                    .append(" | ").append(ts).append(" | ").append(as)
                    .append(" | **").append(fmt(c.speedup())).append("×**")
                    .append(Double.isFinite(c.speedupError()) ? " ± " + fmt(c.speedupError()) : "").append(" |");
            if (flops) {
                s.append(' ').append(time ? fmt1(Comparison.gflops(t)) : "").append(" | ")
                        .append(time ? fmt1(Comparison.gflops(a)) : "").append(" |");
            }
            s.append('\n');
        }
        s.append("\nAll results:\n\n| Benchmark | Mode | Params | Score | Unit |\n|---|---|---|---:|---|\n");
        for (BenchResult r : results) {
            s.append("| ").append(r.simpleClass()).append('.').append(r.method()).append(" | ").append(r.mode())
                    .append(" | ").append(r.paramText()).append(" | ")
                    .append(fmt(r.score())).append(Double.isFinite(r.error()) ? " ± " + fmt(r.error()) : "")
                    .append(" | ").append(r.unit()).append(" |\n");
        }
        return s.toString();
    }

    private static String score(double v, double e, String unit) {
        return fmt(v) + (Double.isFinite(e) ? " ± " + fmt(e) : "") + " " + unit;
    }

    private static String metric(BenchResult.Metric m) {
        return m == null ? "" : score(m.score(), m.error(), m.unit());
    }

    /** Three significant digits, no exponent for everyday magnitudes. */
    static String fmt(double v) {
        if (!Double.isFinite(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        if (a >= 1e6 || (a > 0 && a < 1e-3)) {
            return String.format(Locale.ROOT, "%.3g", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String fmt1(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.1f", v) : "";
    }
}
