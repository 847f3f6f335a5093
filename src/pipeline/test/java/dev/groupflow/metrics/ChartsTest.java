package dev.groupflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.testkit.ChartImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A metrics line as the reporter writes it (a subset of its keys), for step s of a run started at step 0. */
    private static Map<String, Object> line(int s, double wallOffset, boolean withKl) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", s);
        m.put("reward_mean", 0.1 + 0.8 * s / 100.0);
        m.put("reward_std", 0.2);
        m.put("reward/format/mean", 0.5 + s / 400.0);
        m.put("reward/math/mean", s / 120.0);
        m.put("loss", -0.01 * Math.sin(s));
        m.put("grad_norm", 0.5 + 0.1 * Math.cos(s));
        if (withKl) {
            m.put("kl", 0.001 * s);
        }
        m.put("completion_length_mean", 6.0 + Math.sin(s / 5.0));
        m.put("completion_length_min", 2.0);
        m.put("completion_length_max", 8.0);
        m.put("clip_low", 0.01);
        m.put("clip_high", 0.02);
        m.put("clip_region", 0.03);
        m.put("entropy", 2.4 - s / 100.0);
        m.put("staleness_mean", 0.9);
        m.put("staleness_max", 1);
        m.put("verifier_latency_p50_ms", 3.0);
        m.put("verifier_latency_p95_ms", 9.0 + s % 7);
        m.put("samples_generated_total", 300L * s);
        m.put("samples_trained_total", 256L * s);
        m.put("tokens_generated_total", 1800L * s);
        m.put("wall_seconds", wallOffset + 0.2 * s);
        return m;
    }

    private static List<JsonNode> lines(int from, int to, boolean withKl) {
        List<JsonNode> out = new ArrayList<>();
        for (int s = from; s <= to; s++) {
            out.add(JSON.valueToTree(line(s, 0, withKl)));
        }
        return out;
    }

    @Test
    void everyChartWithDataIsDrawn(@TempDir Path tmp) throws Exception {
        List<Path> written = Charts.render(lines(1, 100, true), List.of(), tmp);
        List<String> names = written.stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("reward.png", "reward_components.png", "loss.png", "kl.png", "completion_length.png",
                "clipping.png", "entropy.png", "staleness.png", "verifier_latency.png", "throughput.png"), names);
        for (Path p : written) {
            ChartImages.assertDrawn(p, Plot.WIDTH, Plot.HEIGHT);
        }
    }

    @Test
    void chartsWithoutDataAreNotWritten(@TempDir Path tmp) {
        List<JsonNode> m = new ArrayList<>();
        for (JsonNode n : lines(1, 20, false)) {
            var o = (ObjectNode) n;
            o.remove(List.of("reward/format/mean", "reward/math/mean", "verifier_latency_p50_ms",
                    "verifier_latency_p95_ms"));
            m.add(o);
        }
        Charts.render(m, List.of(), tmp);
        for (String absent : List.of("kl.png", "reward_components.png", "verifier_latency.png", "eval.png")) {
            assertFalse(Files.exists(tmp.resolve(absent)), absent);
        }
        assertTrue(Files.exists(tmp.resolve("reward.png")));
        assertTrue(Charts.render(List.of(), List.of(), tmp.resolve("empty")).isEmpty());
        assertFalse(Files.exists(tmp.resolve("empty")), "no directory for no charts");
    }

    @Test
    void aRunDirectoryWithATornLastLineIsDrawnFromItsCompleteLines(@TempDir Path tmp) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (JsonNode n : lines(1, 30, false)) {
            sb.append(JSON.writeValueAsString(n)).append('\n');
        }
        sb.append("{\"step\": 31, \"reward_mean\": 0.4, \"wall_sec");
        Files.writeString(tmp.resolve("metrics.jsonl"), sb);
        StringBuilder evals = new StringBuilder();
        for (int i = 1; i <= 3; i++) {
            evals.append(String.format(Locale.ROOT, "{\"step\": %d, \"mean_reward\": %.1f, \"pass_at_k\": "
                    + "{\"1\": {\"estimate\": %.1f, \"ci95\": [%.2f, %.2f]}, \"4\": {\"estimate\": %.1f}}}%n",
                    10 * i, 0.1 + 0.1 * i, 0.1 * i, 0.1 * i - 0.05, 0.1 * i + 0.1, 0.2 + 0.1 * i));
        }
        evals.append("{\"step\": 40, \"mean_rew");
        Files.writeString(tmp.resolve("eval.jsonl"), evals);
        assertEquals(30, JsonLines.read(tmp.resolve("metrics.jsonl")).size());
        List<Path> written = Charts.render(tmp);
        assertTrue(written.contains(tmp.resolve("charts/eval.png")), written.toString());
        for (Path p : written) {
            ChartImages.assertDrawn(p, Plot.WIDTH, Plot.HEIGHT);
        }
    }

    @Test
    void repeatedStepsKeepTheLastLineAndRatesNeverSpanARestart() {
        List<JsonNode> m = new ArrayList<>(lines(1, 60, false));
        // a resumed run repeats steps 41..60 with its wall clock and generation counter starting again
        for (int s = 41; s <= 60; s++) {
            Map<String, Object> l = line(s, 0, false);
            l.put("wall_seconds", 0.4 * (s - 40));
            l.put("samples_generated_total", 300L * (s - 40));
            m.add(JSON.valueToTree(l));
        }
        List<JsonNode> bySteps = JsonLines.byStep(m);
        assertEquals(60, bySteps.size());
        assertEquals(0.4, bySteps.get(40).get("wall_seconds").asDouble(), 1e-12);
        Series trained = Rates.perSecond("trained", bySteps, "samples_trained_total");
        for (int i = 0; i < trained.x().length; i++) {
            double expected = trained.x()[i] <= 40 ? 256 / 0.2 : 256 / 0.4;
            assertEquals(expected, trained.y()[i], 1e-6, "step " + trained.x()[i]);
        }
        assertFalse(Arrays.stream(trained.x()).anyMatch(x -> x == 41), "no rate across the restart");
    }

    @Test
    void longSeriesAreThinnedKeepingTheLastPoint() {
        List<JsonNode> m = lines(1, 5001, false);
        Series s = Series.of("reward", m, "reward_mean");
        assertTrue(s.x().length <= Series.MAX_POINTS + 1, "" + s.x().length);
        assertEquals(5001, s.x()[s.x().length - 1]);
        assertEquals(1, s.x()[0]);
    }

    @Test
    void tickLabelsAreShortAndPlain() {
        assertEquals("0.02", Plot.tick(0.020000000000000004));
        assertEquals("0", Plot.tick(0));
        assertEquals("2,500", Plot.tick(2500));
        assertEquals("0.000001", Plot.tick(1e-6));
        assertEquals("-1.5", Plot.tick(-1.5));
    }
}
