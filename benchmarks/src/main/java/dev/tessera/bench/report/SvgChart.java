package dev.tessera.bench.report;

import java.util.List;
import java.util.Locale;

/**
 * A horizontal bar chart of speed-ups (Tessera vs each anchor), one bar per comparison, on a
 * log₂ axis centred on parity: a bar grows right of the dashed 1× line where Tessera wins and
 * left where it loses, so 2× faster and 2× slower look equally large. JMH's error is a whisker.
 * Hand-written SVG, no dependencies.
 */
final class SvgChart {

    private static final int LABEL_W = 380;
    private static final int BAR_W = 460;
    private static final int ROW_H = 24;
    private static final int TOP = 56;

    private SvgChart() {}

    static String render(String title, List<Comparison> rows) {
        // axis from 2^lo to 2^hi, at least 1/4x .. 4x, widened to fit every value and whisker
        int lo = -2;
        int hi = 2;
        for (Comparison c : rows) {
            double e = Double.isFinite(c.speedupError()) ? c.speedupError() : 0;
            for (double v : new double[] {c.speedup() - e, c.speedup() + e}) {
                if (Double.isFinite(v) && v > 0) {
                    double l = Math.log(v) / Math.log(2);
                    lo = Math.min(lo, (int) Math.floor(l));
                    hi = Math.max(hi, (int) Math.ceil(l));
                }
            }
        }
        int width = LABEL_W + BAR_W + 90;
        int plotBottom = TOP + ROW_H * Math.max(1, rows.size());
        int height = plotBottom + 40;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">%n", width, height, width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>%n",
                esc(title)));
        s.append("<text x=\"10\" y=\"40\" fill=\"#555\">speed-up = anchor time / Tessera time (memory: anchor bytes / "
                + "Tessera bytes), log scale; right of the dashed 1× line Tessera wins</text>\n");
        for (int p = lo; p <= hi; p++) {
            double x = xOf(Math.pow(2, p), lo, hi);
            s.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"%s/>%n", x, TOP - 4, x, plotBottom,
                    p == 0 ? "#333" : "#ddd", p == 0 ? " stroke-dasharray=\"5,4\" stroke-width=\"1.5\"" : ""));
            String label = p >= 0 ? String.format(Locale.ROOT, "%d×", 1 << p) : "1/" + (1 << -p) + "×";
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>%n",
                    x, plotBottom + 16, label));
        }
        double x1 = xOf(1.0, lo, hi);
        for (int i = 0; i < rows.size(); i++) {
            Comparison c = rows.get(i);
            int y = TOP + i * ROW_H;
            String label = c.tessera().simpleClass() + " " + c.tessera().suffix()
                    + (c.tessera().paramText().isEmpty() ? "" : " [" + c.tessera().paramText() + "]")
                    + " vs " + c.anchor().side() + (c.metric().equals("time") ? "" : " (" + c.metric() + ")");
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    LABEL_W - 8, y + 16, esc(label)));
            double v = c.speedup();
            if (!Double.isFinite(v) || v <= 0) {
                s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#b00\">n/a</text>%n", x1 + 4, y + 16));
                continue;
            }
            double xv = xOf(v, lo, hi);
            String colour = v >= 1.0 ? "#2e7d32" : "#e65100";
            s.append(String.format(Locale.ROOT,
                    "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.85\"/>%n",
                    Math.min(x1, xv), y + 4, Math.max(1.0, Math.abs(xv - x1)), ROW_H - 8, colour));
            double e = c.speedupError();
            double textX = Math.max(x1, xv);
            if (Double.isFinite(e) && e > 0) {
                double a = xOf(Math.max(v - e, Math.pow(2, lo)), lo, hi);
                double b = xOf(v + e, lo, hi);
                s.append(String.format(Locale.ROOT,
                        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>%n", a, y + 12, b, y + 12));
                textX = Math.max(textX, b);
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%.2f×</text>%n", textX + 6, y + 16, v));
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static double xOf(double v, int lo, int hi) {
        double l = Math.log(v) / Math.log(2);
        return LABEL_W + (l - lo) / (hi - lo) * BAR_W;
    }

    private static String esc(String t) {
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
