package dev.tessera.rlhf.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.rlhf.pipeline.Series;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class HtmlReportTest {
    @Test
    void reportIsWellFormedWithOneChartPerCallAndEscapedText(@TempDir Path dir) throws Exception {
        Series loss = new Series("loss");
        for (int i = 0; i < 20; i++) {
            loss.add(i, 5.0 / (i + 1));
        }
        Series kl = new Series("KL").add(0, 0).add(10, 0.3);
        HtmlReport report = new HtmlReport("Recipe <report>")
                .heading("Results")
                .table(List.of("stage", "score"), List.of(List.of("SFT", "0.41"), List.of("PPO", "0.73")))
                .chart("Pretraining loss", "step", "loss", List.of(loss))
                .chart("KL to SFT", "iteration", "nats", List.of(kl, new Series("target").add(0, 0.1).add(10, 0.1)))
                .preformatted("answer: <script>alert(1)</script> & \u0001");
        Path file = dir.resolve("report.html");
        report.write(file);
        String html = Files.readString(file);
        assertTrue(html.contains("&lt;script&gt;"), "sample text must be escaped");
        // parse as XML: every tag closed, attributes quoted (minus the doctype)
        String xml = html.replace("<!DOCTYPE html>", "");
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        assertEquals(2, doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "svg").getLength());
        assertEquals(3, doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "polyline").getLength());
        assertEquals(0, doc.getElementsByTagName("script").getLength());
        assertTrue(html.contains("<td>PPO</td>"));
    }

    @Test
    void rejectsRaggedTablesAndNonFinitePoints() {
        assertThrows(IllegalArgumentException.class,
                () -> new HtmlReport("t").table(List.of("a", "b"), List.of(List.of("only one"))));
        assertThrows(IllegalArgumentException.class, () -> new Series("s").add(1, Double.NaN));
    }
}
