package dev.groupflow.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PNG charts of a run, drawn from {@code metrics.jsonl} (and {@code eval.jsonl}) into {@code RUN_DIR/charts/}:
 * reward (mean with a min–max or ± std band), reward components, loss and gradient norm, KL, completion length,
 * clip fractions, entropy, staleness, verifier latency, throughput and held-out evaluation. A chart whose metrics
 * are absent from every line (KL without a reference model, components without a weighted verifier, evaluation
 * before the first one) is not written. Headless: needs {@code -Djava.awt.headless=true} where there is no display.
 */
public final class Charts {
    /** The sub-directory of the run directory the charts go to. */
    public static final String DIR = "charts";
    /** Width and height of every chart image, in pixels. */
    public static final int WIDTH = Plot.WIDTH;
    public static final int HEIGHT = Plot.HEIGHT;
    private static final Pattern COMPONENT = Pattern.compile("reward/(.+)/mean");

    private Charts() {
    }

    /** Redraws the charts of a run directory from its files; returns the files written. */
    public static List<Path> render(Path runDir) {
        return render(JsonLines.read(runDir.resolve("metrics.jsonl")), JsonLines.read(runDir.resolve("eval.jsonl")),
                runDir.resolve(DIR));
    }

    /** Draws the charts of these metrics and evaluation lines (any order, torn ones already left out) into dir. */
    public static List<Path> render(List<JsonNode> metricsLines, List<JsonNode> evalLines, Path dir) {
        List<JsonNode> m = JsonLines.byStep(metricsLines);
        Map<String, Plot> plots = new LinkedHashMap<>();
        plots.put("reward", reward(m));
        plots.put("reward_components", components(m));
        plots.put("loss", new Plot("Loss and gradient norm", "loss").line(Series.of("loss", m, "loss"))
                .line(Series.of("gradient norm (before clipping)", m, "grad_norm"), 1).rightAxis("gradient norm"));
        plots.put("kl", new Plot("KL divergence to the reference policy (k3)", "KL per token")
                .line(Series.of("kl", m, "kl")));
        plots.put("completion_length", new Plot("Completion length", "tokens")
                .band("min - max", Series.of("min", m, "completion_length_min"),
                        Series.of("max", m, "completion_length_max"))
                .line(Series.of("mean", m, "completion_length_mean")));
        plots.put("clipping", new Plot("Clipped fraction of tokens", "fraction of tokens")
                .line(Series.of("low (ratio < 1 - eps-low, A < 0)", m, "clip_low"))
                .line(Series.of("high (ratio > 1 + eps-high, A > 0)", m, "clip_high"))
                .line(Series.of("region (either)", m, "clip_region")));
        plots.put("entropy", new Plot("Policy entropy", "nats per token").line(Series.of("entropy", m, "entropy")));
        plots.put("staleness", new Plot("Staleness of trained samples", "policy versions behind the learner")
                .line(Series.of("mean", m, "staleness_mean")).line(Series.of("max", m, "staleness_max")));
        plots.put("verifier_latency", new Plot("Verifier latency", "milliseconds")
                .line(Series.of("p50", m, "verifier_latency_p50_ms"))
                .line(Series.of("p95", m, "verifier_latency_p95_ms")));
        plots.put("throughput", new Plot("Throughput (over " + Rates.window(m.size()) + " steps)", "samples / s")
                .line(Rates.perSecond("samples trained / s", m, "samples_trained_total"))
                .line(Rates.perSecond("samples generated / s", m, "samples_generated_total"))
                .line(Rates.perSecond("tokens generated / s (right axis)", m, "tokens_generated_total"), 1)
                .rightAxis("tokens / s"));
        plots.put("eval", eval(JsonLines.byStep(evalLines)));
        return write(plots, dir);
    }

    private static Plot reward(List<JsonNode> m) {
        Plot p = new Plot("Reward", "reward");
        boolean minMax = m.stream().anyMatch(n -> n.has("reward_min") && n.has("reward_max"));
        if (minMax) {
            p.band("min - max", Series.of("min", m, "reward_min"), Series.of("max", m, "reward_max"));
        } else {
            p.band("mean ± std", Series.of("low", m, n -> meanPlusStd(n, -1)),
                    Series.of("high", m, n -> meanPlusStd(n, 1)));
        }
        return p.line(Series.of("mean", m, "reward_mean"));
    }

    private static double meanPlusStd(JsonNode n, int sign) {
        return JsonLines.number(n, "reward_mean") + sign * JsonLines.number(n, "reward_std");
    }

    private static Plot components(List<JsonNode> m) {
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode n : m) {
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                Matcher c = COMPONENT.matcher(it.next());
                if (c.matches()) {
                    names.add(c.group(1));
                }
            }
        }
        Plot p = new Plot("Reward components (mean)", "reward");
        names.forEach(name -> p.line(Series.of(name, m, "reward/" + name + "/mean")));
        return p;
    }

    private static Plot eval(List<JsonNode> e) {
        Plot p = new Plot("Held-out evaluation", "mean reward / pass@k");
        int maxK = 1;
        for (JsonNode n : e) {
            for (Iterator<String> it = n.path("pass_at_k").fieldNames(); it.hasNext(); ) {
                String k = it.next();
                maxK = k.matches("\\d{1,6}") ? Math.max(maxK, Integer.parseInt(k)) : maxK;
            }
        }
        p.line(Series.of("mean reward", e, "mean_reward"));
        p.band("pass@1 95% CI", Series.of("low", e, n -> ciBound(n, 0)), Series.of("high", e, n -> ciBound(n, 1)));
        p.line(Series.of("pass@1", e, "pass_at_k", "1", "estimate"));
        if (maxK > 1) {
            p.line(Series.of("pass@" + maxK, e, "pass_at_k", String.valueOf(maxK), "estimate"));
        }
        return p;
    }

    private static double ciBound(JsonNode n, int i) {
        JsonNode ci = n.path("pass_at_k").path("1").path("ci95");
        return ci.isArray() && ci.size() == 2 && !ci.get(0).isNull() ? ci.get(i).asDouble() : Double.NaN;
    }

    private static List<Path> write(Map<String, Plot> plots, Path dir) {
        List<Path> written = new ArrayList<>();
        plots.forEach((name, plot) -> {
            if (!plot.isEmpty()) {
                try {
                    Files.createDirectories(dir);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
                }
                Path f = dir.resolve(name + ".png");
                plot.writePng(f);
                written.add(f);
            }
        });
        return written;
    }
}
