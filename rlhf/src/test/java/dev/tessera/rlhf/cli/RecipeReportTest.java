package dev.tessera.rlhf.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The command line end to end on the tiny preset: progress, tables and the HTML report it writes. */
class RecipeReportTest {
    private static final String SVG = "http://www.w3.org/2000/svg";

    @TempDir
    Path dir;

    @Test
    void tinyRunPrintsProgressAndWritesAWellFormedReportWithOneSvgPerChart() throws Exception {
        Path out = dir.resolve("out");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int status = RecipeCli.run(new String[] {"--preset", "tiny", "--out", out.toString()},
                new PrintStream(stdout, true, StandardCharsets.UTF_8), new PrintStream(stderr, true, StandardCharsets.UTF_8));
        String printed = stdout.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, printed + stderr.toString(StandardCharsets.UTF_8));
        // not a terminal: the shared progress bar prints whole lines, each stage ending in a summary
        assertTrue(printed.contains("] ") && printed.contains(" tok/s  ETA "), printed);
        assertTrue(printed.contains("done in "), printed);

        Path report = out.resolve("report.html");
        assertTrue(printed.contains("report: " + report.toAbsolutePath()), printed);
        assertTrue(Files.size(report) > 2000, "report is " + Files.size(report) + " bytes");
        // the report is XHTML-compatible: an XML parser reads it, so browsers will too
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(report.toFile());
        NodeList svgs = doc.getElementsByTagNameNS(SVG, "svg");
        NodeList lines = doc.getElementsByTagNameNS(SVG, "polyline");
        // one SVG per chart of the result (each chart is one figure), and the pipeline draws at least one per stage
        assertEquals(html(report).split("<div class=\"figure\">", -1).length - 1, svgs.getLength());
        assertTrue(svgs.getLength() >= 5, "charts: " + svgs.getLength());
        assertTrue(lines.getLength() >= svgs.getLength(), "series: " + lines.getLength());
        for (int i = 0; i < lines.getLength(); i++) {
            String points = ((Element) lines.item(i)).getAttribute("points");
            assertFalse(points.isBlank(), "polyline " + i + " has no points");
        }
        String html = html(report);
        assertTrue(html.contains("PPO: KL to the SFT model"), "KL chart missing");
        assertTrue(html.contains("GRPO: labeller score of the samples"), "GRPO chart missing");
        assertTrue(html.contains("<td>GRPO</td>"), "GRPO row missing");
        assertTrue(html.contains("Sample answers"), "samples missing");
        assertFalse(html.contains("<script"), "the report must not need scripts");
        assertTrue(Files.isRegularFile(out.resolve("table.json")));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
    }

    private static String html(Path report) throws IOException {
        return Files.readString(report, StandardCharsets.UTF_8);
    }
}
