package dev.tessera.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One JMH result row, from the JSON JMH writes with {@code -rf json}.
 *
 * @param className fully qualified benchmark class, e.g. {@code dev.tessera.bench.SgemmBenchmark}
 * @param method benchmark method, e.g. {@code tessera_sgemm}
 * @param mode JMH mode ({@code avgt}, {@code thrpt}, {@code sample}, {@code ss})
 * @param params the @Param values, sorted by name
 * @param score primary score
 * @param error JMH's 99.9% confidence half-width (NaN with too few iterations)
 * @param unit e.g. {@code ms/op} or {@code ops/s}
 * @param secondary secondary metrics (profilers), name to (score, error, unit)
 */
record BenchResult(String className, String method, String mode, Map<String, String> params,
        double score, double error, String unit, Map<String, Metric> secondary) {

    /** A secondary metric. */
    record Metric(double score, double error, String unit) {}

    /** Simple class name, e.g. {@code SgemmBenchmark}. */
    String simpleClass() {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    /** Which implementation: the method name up to its first underscore ({@code tessera}, {@code pytorch}, ...). */
    String side() {
        int u = method.indexOf('_');
        return u < 0 ? method : method.substring(0, u);
    }

    /** What is measured: the method name after the side ({@code sgemm}); empty without an underscore. */
    String suffix() {
        int u = method.indexOf('_');
        return u < 0 ? "" : method.substring(u + 1);
    }

    /** Params as {@code n=256, t=1024}. */
    String paramText() {
        return params.isEmpty() ? "" : params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", "));
    }

    /** Whether a lower score is better (time per operation). */
    boolean lowerIsBetter() {
        return !mode.equals("thrpt");
    }

    /** Seconds per operation, from the score and its unit (throughput inverted). */
    double secondsPerOp() {
        String[] parts = unit.split("/");
        if (parts.length != 2) {
            return Double.NaN;
        }
        if (parts[1].equals("op")) {
            return score * seconds(parts[0]);
        }
        if (parts[0].equals("ops")) {
            return seconds(parts[1]) / score;
        }
        return Double.NaN;
    }

    private static double seconds(String u) {
        return switch (u) {
            case "ns" -> 1e-9;
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "s" -> 1.0;
            case "min" -> 60.0;
            default -> Double.NaN;
        };
    }

    /** Parses a JMH JSON result file. */
    static List<BenchResult> read(Path json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        if (root == null || !root.isArray()) {
            throw new IOException(json + ": not a JMH JSON result array");
        }
        List<BenchResult> out = new ArrayList<>();
        for (JsonNode r : root) {
            String full = r.path("benchmark").asText();
            int dot = full.lastIndexOf('.');
            if (dot < 0) {
                throw new IOException(json + ": benchmark name without a class: " + full);
            }
            Map<String, String> params = new TreeMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = r.path("params").fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                params.put(e.getKey(), e.getValue().asText());
            }
            JsonNode pm = r.path("primaryMetric");
            Map<String, Metric> secondary = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> sm = r.path("secondaryMetrics").fields();
            while (sm.hasNext()) {
                Map.Entry<String, JsonNode> e = sm.next();
                JsonNode m = e.getValue();
                secondary.put(e.getKey(), new Metric(m.path("score").asDouble(Double.NaN),
                        m.path("scoreError").asDouble(Double.NaN), m.path("scoreUnit").asText()));
            }
            out.add(new BenchResult(full.substring(0, dot), full.substring(dot + 1), r.path("mode").asText(), params,
                    pm.path("score").asDouble(Double.NaN), pm.path("scoreError").asDouble(Double.NaN),
                    pm.path("scoreUnit").asText(), secondary));
        }
        return out;
    }
}
