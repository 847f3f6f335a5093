package dev.groupflow.metrics;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * One line chart against the training step, in the look every chart of a run shares: lines in a fixed palette,
 * an optional shaded band (drawn under the line that follows it, in that line's colour), an optional second y axis
 * on the right, legend below. Series without points are left out; a plot with no line is {@link #isEmpty()}.
 */
final class Plot {
    static final int WIDTH = 900;
    static final int HEIGHT = 450;
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
        new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

    /** Series with at most this many points also mark each point. */
    static final int MARKERS_UP_TO = 30;

    private final XYChart chart;
    private int lines;

    Plot(String title, String yTitle) {
        chart = new XYChart(WIDTH, HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle("step");
        chart.setYAxisTitle(yTitle);
        XYStyler s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setPlotGridLinesColor(new Color(0xe0e0e0));
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setLegendBorderColor(Color.WHITE);
        s.setAntiAlias(true);
        s.setXAxisDecimalPattern("#,##0.#");
        chart.setCustomYAxisTickLabelsFormatter(Plot::tick);
    }

    /** A y tick label: four significant digits at most, no exponent, no trailing zeros (0.02, 1.5, 2,500). */
    static String tick(double v) {
        if (v == 0 || !Double.isFinite(v)) {
            return v == 0 ? "0" : String.valueOf(v);
        }
        if (Math.abs(v) >= 1_000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }

    /** A line in the next palette colour, on the left axis. */
    Plot line(Series s) {
        return line(s, 0);
    }

    /** A line in the next palette colour; axis 1 is a second y axis on the right, titled by {@link #rightAxis}. */
    Plot line(Series s, int axis) {
        Color colour = PALETTE[lines % PALETTE.length];
        lines++;
        if (s.isEmpty()) {
            return this;
        }
        XYSeries series = chart.addSeries(s.label(), s.x(), s.y());
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        series.setMarker(s.x().length <= MARKERS_UP_TO ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        series.setMarkerColor(colour);
        series.setLineColor(colour);
        series.setLineWidth(1.8f);
        series.setYAxisGroup(axis);
        if (axis == 1) {
            series.setLineStyle(new BasicStroke(1.8f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
                    new float[] {6f, 4f}, 0f));
        }
        return this;
    }

    /** Titles the right-hand y axis (axis 1). */
    Plot rightAxis(String title) {
        chart.setYAxisGroupTitle(1, title);
        chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
        return this;
    }

    /**
     * A shaded band between two series of the same steps, in the colour of the line added next (a translucent
     * polygon: the lower edge left to right, then the upper edge back).
     */
    Plot band(String label, Series lower, Series upper) {
        int n = Math.min(lower.x().length, upper.x().length);
        if (n == 0) {
            return this;
        }
        double[] x = new double[2 * n];
        double[] y = new double[2 * n];
        for (int i = 0; i < n; i++) {
            x[i] = lower.x()[i];
            y[i] = lower.y()[i];
            x[2 * n - 1 - i] = upper.x()[i];
            y[2 * n - 1 - i] = upper.y()[i];
        }
        Color c = PALETTE[lines % PALETTE.length];
        XYSeries band = chart.addSeries(label, x, y);
        band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
        band.setMarker(SeriesMarkers.NONE);
        band.setFillColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 55));
        band.setLineColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 90));
        band.setLineWidth(0.5f);
        return this;
    }

    /** Whether any series with points was added. */
    boolean isEmpty() {
        return chart.getSeriesMap().isEmpty();
    }

    /** Writes the chart as PNG, atomically (a reader never sees a half-written file). */
    void writePng(Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
