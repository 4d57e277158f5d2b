package dev.tessera.rlhf.cli;

import dev.tessera.rlhf.pipeline.Series;
import java.util.List;
import java.util.Locale;

/**
 * A dependency-free SVG line chart: axes with tick labels, one polyline per series, a legend.
 * Self-contained (no scripts, no fonts or styles fetched), so the report opens offline.
 */
public final class SvgLineChart {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    private static final int WIDTH = 560;
    private static final int HEIGHT = 300;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 30;
    private static final int BOTTOM = 40;

    private SvgLineChart() {}

    /** Renders the series into one SVG element; {@code title}, axis labels are escaped. */
    public static String render(String title, String xLabel, String yLabel, List<Series> series) {
        double minX = Double.POSITIVE_INFINITY;
        double maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY;
        double maxY = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double[] p : s.points()) {
                minX = Math.min(minX, p[0]);
                maxX = Math.max(maxX, p[0]);
                minY = Math.min(minY, p[1]);
                maxY = Math.max(maxY, p[1]);
            }
        }
        if (minX == Double.POSITIVE_INFINITY) {
            minX = 0;
            maxX = 1;
            minY = 0;
            maxY = 1;
        }
        if (maxX == minX) {
            maxX = minX + 1;
        }
        if (maxY == minY) {
            maxY = minY + Math.max(1e-9, Math.abs(minY) * 0.1 + 1e-3);
        }
        double pad = (maxY - minY) * 0.05;
        minY -= pad;
        maxY += pad;
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">%n",
                WIDTH, HEIGHT, WIDTH, HEIGHT, Html.escape(title)));
        sb.append(String.format(Locale.ROOT,
                "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        sb.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"18\" font-family=\"sans-serif\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                LEFT, Html.escape(title)));
        sb.append(String.format(Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>%n", LEFT, TOP, plotW, plotH));
        for (int i = 0; i <= 4; i++) {
            double yv = minY + (maxY - minY) * i / 4;
            double py = TOP + plotH - plotH * (double) i / 4;
            sb.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" font-family=\"sans-serif\" font-size=\"10\" text-anchor=\"end\">%s</text>%n",
                    LEFT, py, LEFT + plotW, py, LEFT - 4, py + 3, tick(yv)));
            double xv = minX + (maxX - minX) * i / 4;
            double px = LEFT + plotW * (double) i / 4;
            sb.append(String.format(Locale.ROOT,
                    "<text x=\"%.1f\" y=\"%d\" font-family=\"sans-serif\" font-size=\"10\" text-anchor=\"middle\">%s</text>%n",
                    px, TOP + plotH + 14, tick(xv)));
        }
        sb.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n",
                LEFT + plotW / 2, HEIGHT - 6, Html.escape(xLabel)));
        sb.append(String.format(Locale.ROOT,
                "<text x=\"12\" y=\"%d\" font-family=\"sans-serif\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 %d)\">%s</text>%n",
                TOP + plotH / 2, TOP + plotH / 2, Html.escape(yLabel)));
        for (int s = 0; s < series.size(); s++) {
            Series ser = series.get(s);
            String color = COLORS[s % COLORS.length];
            StringBuilder pts = new StringBuilder();
            for (double[] p : ser.points()) {
                double px = LEFT + plotW * (p[0] - minX) / (maxX - minX);
                double py = TOP + plotH - plotH * (p[1] - minY) / (maxY - minY);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
            }
            sb.append(String.format(Locale.ROOT,
                    "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
                    color, pts.toString().trim()));
            int ly = TOP + 14 + 14 * s;
            sb.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>"
                            + "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"11\">%s</text>%n",
                    LEFT + plotW - 150, ly, LEFT + plotW - 130, ly, color, LEFT + plotW - 125, ly + 4, Html.escape(ser.name())));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String tick(double v) {
        double a = Math.abs(v);
        if (a != 0 && (a < 1e-3 || a >= 1e5)) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.3f", v);
    }
}
