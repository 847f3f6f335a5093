package dev.groupflow.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;

/**
 * Per-second rates of a run's {@code *_total} counters against {@code wall_seconds}, over a sliding window of
 * steps (smoother than step-to-step differences). A resumed run restarts its wall clock (and some counters): the
 * rate never spans such a restart, recognised by the wall clock or the counter going backwards.
 */
final class Rates {
    private Rates() {
    }

    /** Steps in the window: about a fortieth of the run, between 5 and 50. */
    static int window(int lines) {
        return Math.max(5, Math.min(50, lines / 40));
    }

    /** The rate of {@code counter} per second at each step (lines ordered by step). */
    static Series perSecond(String label, List<JsonNode> lines, String counter) {
        int n = lines.size();
        int w = window(n);
        double[] x = new double[n];
        double[] y = new double[n];
        int points = 0;
        int segmentStart = 0;
        for (int i = 0; i < n; i++) {
            if (i > 0 && restarted(lines.get(i - 1), lines.get(i), counter)) {
                segmentStart = i;
            }
            int j = Math.max(segmentStart, i - w);
            if (j == i) {
                continue;
            }
            double dt = JsonLines.number(lines.get(i), "wall_seconds") - JsonLines.number(lines.get(j), "wall_seconds");
            double dc = JsonLines.number(lines.get(i), counter) - JsonLines.number(lines.get(j), counter);
            double step = JsonLines.number(lines.get(i), "step");
            if (dt > 0 && dc >= 0 && Double.isFinite(step)) {
                x[points] = step;
                y[points] = dc / dt;
                points++;
            }
        }
        return new Series(label, Arrays.copyOf(x, points), Arrays.copyOf(y, points)).thinned();
    }

    private static boolean restarted(JsonNode before, JsonNode after, String counter) {
        return !(JsonLines.number(after, "wall_seconds") >= JsonLines.number(before, "wall_seconds"))
                || !(JsonLines.number(after, counter) >= JsonLines.number(before, counter));
    }
}
