package dev.tessera.rlhf.cli;

import dev.tessera.rlhf.pipeline.Series;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A single self-contained HTML page (inline SVG charts, inline CSS, no scripts, no network):
 * headline table, charts of the training curves, and sample answers. Written atomically.
 */
public final class HtmlReport {
    private final String title;
    private final List<String> sections = new ArrayList<>();

    public HtmlReport(String title) {
        this.title = title;
    }

    /** A paragraph of plain text. */
    public HtmlReport paragraph(String text) {
        sections.add("<p>" + Html.escape(text) + "</p>");
        return this;
    }

    /** A heading. */
    public HtmlReport heading(String text) {
        sections.add("<h2>" + Html.escape(text) + "</h2>");
        return this;
    }

    /** A table with a header row; every row must have as many cells as the header. */
    public HtmlReport table(List<String> header, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder("<table>\n<tr>");
        for (String h : header) {
            sb.append("<th>").append(Html.escape(h)).append("</th>");
        }
        sb.append("</tr>\n");
        for (int r = 0; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() != header.size()) {
                throw new IllegalArgumentException("table row " + r + " has " + row.size() + " cells but the header has " + header.size());
            }
            sb.append("<tr>");
            for (String c : row) {
                sb.append("<td>").append(Html.escape(c)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sections.add(sb.append("</table>").toString());
        return this;
    }

    /** A line chart of one or more series. */
    public HtmlReport chart(String chartTitle, String xLabel, String yLabel, List<Series> series) {
        sections.add("<div class=\"figure\">" + SvgLineChart.render(chartTitle, xLabel, yLabel, series) + "</div>");
        return this;
    }

    /** Preformatted text (samples), escaped. */
    public HtmlReport preformatted(String text) {
        sections.add("<pre>" + Html.escape(text) + "</pre>");
        return this;
    }

    /** The page as a string. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>")
                .append(Html.escape(title)).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}\n")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}\n")
                .append("th{background:#f4f4f4}.figure{display:inline-block;margin:6px}pre{background:#f8f8f8;padding:8px;white-space:pre-wrap}\n")
                .append("</style>\n</head>\n<body>\n<h1>").append(Html.escape(title)).append("</h1>\n");
        for (String s : sections) {
            sb.append(s).append('\n');
        }
        return sb.append("</body>\n</html>\n").toString();
    }

    /** Writes the page to {@code file} atomically (temporary file in the same folder, then rename). */
    public void write(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, render(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
