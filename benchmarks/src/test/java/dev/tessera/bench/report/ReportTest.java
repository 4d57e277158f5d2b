package dev.tessera.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    @TempDir
    Path dir;

    private static String result(String method, String n, double score, String error, String unit, String mode,
            String secondary) {
        return "{\"benchmark\":\"dev.tessera.bench.SgemmBenchmark." + method + "\",\"mode\":\"" + mode + "\","
                + "\"params\":{\"n\":\"" + n + "\"},\"primaryMetric\":{\"score\":" + score + ",\"scoreError\":" + error
                + ",\"scoreUnit\":\"" + unit + "\"},\"secondaryMetrics\":{" + secondary + "}}";
    }

    private Path json(String... rows) throws Exception {
        Path p = dir.resolve("r.json");
        Files.writeString(p, "[" + String.join(",", rows) + "]");
        return p;
    }

    @Test
    void pairsTesseraWithEachAnchorOfTheSameParamsAndSuffix() throws Exception {
        Path p = json(
                result("tessera_sgemm", "512", 1.0, "0.1", "ms/op", "avgt", ""),
                result("pytorch_sgemm", "512", 1.5, "0.15", "ms/op", "avgt", ""),
                result("nd4j_sgemm", "512", 4.0, "\"NaN\"", "ms/op", "avgt", ""),
                result("pytorch_sgemm", "1024", 8.0, "0.1", "ms/op", "avgt", ""),
                result("tessera_other", "512", 1.0, "0.1", "ms/op", "avgt", ""));
        List<BenchResult> rs = BenchResult.read(p);
        assertEquals(5, rs.size());
        assertEquals("tessera", rs.get(0).side());
        assertEquals("sgemm", rs.get(0).suffix());
        List<Comparison> cs = Comparison.pair(rs);
        assertEquals(2, cs.size(), cs.toString());
        Comparison vsTorch = cs.stream().filter(c -> c.anchor().side().equals("pytorch")).findFirst().orElseThrow();
        assertEquals(1.5, vsTorch.speedup(), 1e-12);
        assertEquals(1.5 * Math.sqrt(0.01 + 0.01), vsTorch.speedupError(), 1e-12);
        Comparison vsNd4j = cs.stream().filter(c -> c.anchor().side().equals("nd4j")).findFirst().orElseThrow();
        assertEquals(4.0, vsNd4j.speedup(), 1e-12);
        assertTrue(Double.isNaN(vsNd4j.speedupError()));
        // 2 * 512^3 flop in 1 ms = 268.4 GFLOP/s, through SgemmBenchmark.flopsPerOp
        assertEquals(2 * Math.pow(512, 3) / 1e-3 / 1e9, Comparison.gflops(rs.get(0)), 1e-6);
    }

    @Test
    void throughputAndMemoryRatiosPointTheRightWay() throws Exception {
        String mem = "\"·offheap.peak.delta\":{\"score\":%s,\"scoreError\":0,\"scoreUnit\":\"bytes\"}";
        Path p = json(
                result("tessera_x", "1", 300, "0", "ops/s", "thrpt", String.format(mem, "1000")),
                result("naive_x", "1", 100, "0", "ops/s", "thrpt", String.format(mem, "4000")));
        List<Comparison> cs = Comparison.pair(BenchResult.read(p));
        assertEquals(2, cs.size());
        assertEquals(3.0, cs.get(0).speedup(), 1e-12);          // more ops/s is better
        assertEquals("·offheap.peak.delta", cs.get(1).metric());
        assertEquals(4.0, cs.get(1).speedup(), 1e-12);          // fewer bytes is better
        assertEquals(1.0 / 300, BenchResult.read(p).get(0).secondsPerOp(), 1e-15);
    }

    @Test
    void writesMarkdownAndWellFormedSvg() throws Exception {
        Path p = json(
                result("tessera_sgemm", "256", 0.2, "0.01", "ms/op", "avgt", ""),
                result("pytorch_sgemm", "256", 0.25, "0.01", "ms/op", "avgt", ""));
        Report.main(new String[] {p.toString(), dir.resolve("out").toString()});
        String md = Files.readString(dir.resolve("out/report.md"));
        assertTrue(md.contains("| SgemmBenchmark.sgemm | n=256 | pytorch | 0.20 ± 0.01 ms/op | 0.25 ± 0.01 ms/op | **1.25×**"), md);
        String svg = Files.readString(dir.resolve("out/chart.svg"));
        DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertTrue(svg.contains("1.25×"), svg);
    }
}
