package dev.tessera.bench.report;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Tessera result paired with one anchor: same class, same @Param values, same mode, same
 * method suffix ({@code tessera_sgemm} with {@code pytorch_sgemm}, {@code nd4j_sgemm}, ...).
 *
 * <p>{@link #speedup()} is how many times faster Tessera is: anchor time / Tessera time (for
 * throughput, Tessera / anchor), so 1.00× is parity and above 1 is a win. Its error combines both
 * sides' JMH errors in quadrature (relative), NaN where JMH gave none.
 *
 * @param metric what is compared: {@code "time"} for the primary score, or a secondary metric
 *     name (a memory profiler's bytes, where lower is better)
 */
record Comparison(BenchResult tessera, BenchResult anchor, String metric, double speedup, double speedupError) {

    /** Pairs every {@code tessera_*} result with every other side in its group. */
    static List<Comparison> pair(List<BenchResult> results) {
        Map<String, List<BenchResult>> groups = new LinkedHashMap<>();
        for (BenchResult r : results) {
            String key = r.className() + "|" + r.mode() + "|" + r.params() + "|" + r.suffix();
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        List<Comparison> out = new ArrayList<>();
        for (List<BenchResult> g : groups.values()) {
            for (BenchResult t : g) {
                if (!t.side().equals("tessera")) {
                    continue;
                }
                for (BenchResult a : g) {
                    if (a.side().equals("tessera")) {
                        continue;
                    }
                    out.add(of(t, a, "time", t.score(), t.error(), a.score(), a.error(), t.lowerIsBetter()));
                    for (Map.Entry<String, BenchResult.Metric> e : t.secondary().entrySet()) {
                        BenchResult.Metric am = a.secondary().get(e.getKey());
                        if (am != null && e.getValue().unit().equals("bytes") && Objects.equals(am.unit(), "bytes")) {
                            out.add(of(t, a, e.getKey(), e.getValue().score(), e.getValue().error(),
                                    am.score(), am.error(), true));
                        }
                    }
                }
            }
        }
        return out;
    }

    private static Comparison of(BenchResult t, BenchResult a, String metric, double ts, double te,
            double as, double ae, boolean lowerIsBetter) {
        double s = lowerIsBetter ? as / ts : ts / as;
        double rel = Math.sqrt(Math.pow(te / ts, 2) + Math.pow(ae / as, 2));
        return new Comparison(t, a, metric, s, s * rel);
    }

    /**
     * GFLOP/s of a result when its class declares {@code public static double flopsPerOp(Map<String, String>)}
     * and the class is on the class path; NaN otherwise.
     */
    static double gflops(BenchResult r) {
        try {
            Class<?> c = Class.forName(r.className(), false, Comparison.class.getClassLoader());
            Method m = c.getMethod("flopsPerOp", Map.class);
            if (!Modifier.isStatic(m.getModifiers())) {
                return Double.NaN;
            }
            double flops = ((Number) m.invoke(null, r.params())).doubleValue();
            return flops / r.secondsPerOp() / 1e9;
        } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
            return Double.NaN;
        }
    }
}
