package dev.groupflow.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * One line of a chart: x (the step) and y values, points without a finite value left out.
 *
 * @param label the legend text
 */
public record Series(String label, double[] x, double[] y) {
    /** Most points drawn per series; longer series are thinned to every k-th point (the last one always kept). */
    public static final int MAX_POINTS = 600;

    /** The metric {@code key} of each line against its step. */
    public static Series of(String label, List<JsonNode> lines, String... key) {
        return of(label, lines, n -> JsonLines.number(n, key));
    }

    /** A value computed from each line against its step (NaN = no point). */
    public static Series of(String label, List<JsonNode> lines, ToDoubleFunction<JsonNode> value) {
        double[] x = new double[lines.size()];
        double[] y = new double[lines.size()];
        int n = 0;
        for (JsonNode line : lines) {
            double v = value.applyAsDouble(line);
            double step = JsonLines.number(line, "step");
            if (Double.isFinite(v) && Double.isFinite(step)) {
                x[n] = step;
                y[n] = v;
                n++;
            }
        }
        return new Series(label, Arrays.copyOf(x, n), Arrays.copyOf(y, n)).thinned();
    }

    public boolean isEmpty() {
        return x.length == 0;
    }

    /** This series with at most {@link #MAX_POINTS} points. */
    Series thinned() {
        if (x.length <= MAX_POINTS) {
            return this;
        }
        int stride = (x.length + MAX_POINTS - 1) / MAX_POINTS;
        int n = (x.length - 1) / stride + 1;
        boolean lastKept = (x.length - 1) % stride == 0;
        double[] tx = new double[lastKept ? n : n + 1];
        double[] ty = new double[tx.length];
        for (int i = 0; i < n; i++) {
            tx[i] = x[i * stride];
            ty[i] = y[i * stride];
        }
        if (!lastKept) {
            tx[n] = x[x.length - 1];
            ty[n] = y[y.length - 1];
        }
        return new Series(label, tx, ty);
    }
}
