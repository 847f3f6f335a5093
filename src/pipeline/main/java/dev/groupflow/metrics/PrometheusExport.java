package dev.groupflow.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The figures of {@code metrics.jsonl} in Prometheus text format (Micrometer's {@link PrometheusMeterRegistry}),
 * for {@code GET /metrics}. Every numeric key of a metrics line becomes {@code groupflow_<key>}: a gauge set from
 * the latest line, or, for keys ending in {@code _total}, a counter. What {@link PipelineGauges} tracks live (in-flight
 * counts, verifier latency percentiles, totals) is read from it at scrape time instead, so it is current between
 * steps. {@code groupflow_paused} and {@code groupflow_total_steps} describe the run.
 */
public final class PrometheusExport implements RunMonitor.Listener {
    /** Metrics-line keys whose live value the gauges hold. */
    private static final Map<String, ToDoubleFunction<PipelineGauges>> LIVE = live();

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, AtomicLong> fromLines = new ConcurrentHashMap<>();

    public PrometheusExport(RunMonitor monitor) {
        PipelineGauges gauges = monitor.gauges();
        LIVE.forEach((key, f) -> register(key, gauges, f));
        Gauge.builder("groupflow.paused", monitor, m -> m.control().paused() ? 1 : 0)
                .description("1 while the run is paused from the dashboard").strongReference(true).register(registry);
        Gauge.builder("groupflow.total.steps", monitor, RunMonitor::totalSteps)
                .description("the step the run ends at").strongReference(true).register(registry);
        monitor.addListener(this);
    }

    private static Map<String, ToDoubleFunction<PipelineGauges>> live() {
        Map<String, ToDoubleFunction<PipelineGauges>> m = new LinkedHashMap<>();
        m.put("in_flight_prompts", g -> g.promptsActive.get());
        m.put("in_flight_verifier", g -> g.samplesInVerifier.get());
        m.put("buffered_groups", g -> g.groupsBuffered.get());
        m.put("verifier_latency_p50_ms", g -> g.latencyQuantile(0.5));
        m.put("verifier_latency_p95_ms", g -> g.latencyQuantile(0.95));
        m.put("prompts_admitted_total", g -> g.promptsAdmitted.get());
        m.put("skipped_prompts_total", g -> g.promptsSkipped.get());
        m.put("samples_generated_total", g -> g.samplesGenerated.get());
        m.put("tokens_generated_total", g -> g.tokensGenerated.get());
        m.put("turns_sampled_total", g -> g.turnsSampled.get());
        m.put("turns_diverged_total", g -> g.turnsDiverged.get());
        m.put("turn_tokens_reused_total", g -> g.turnTokensReused.get());
        m.put("turn_tokens_computed_total", g -> g.turnTokensComputed.get());
        m.put("verifier_scored_total", g -> g.verifierScored.get());
        m.put("verifier_failed_total", g -> g.verifierFailed.get());
        m.put("verifier_timed_out_total", g -> g.verifierTimedOut.get());
        m.put("dropped_stale_total", g -> g.groupsStale.get());
        m.put("filtered_groups_total", g -> g.groupsFiltered.get());
        m.put("stage_restarts_total", g -> g.stageRestarts.get());
        m.put("checkpoint_failures_total", g -> g.checkpointFailures.get());
        m.put("samples_trained_scored_total", g -> g.samplesTrainedScored.get());
        m.put("samples_trained_failed_total", g -> g.samplesTrainedFailed.get());
        m.put("samples_dropped_stale_total", g -> g.samplesDroppedStale.get());
        m.put("samples_filtered_total", g -> g.samplesFiltered.get());
        m.put("samples_duplicate_total", g -> g.samplesDuplicate.get());
        return m;
    }

    /** Sets the gauges from a metrics line (registering keys seen for the first time). */
    @Override
    public void metrics(Map<String, Object> line) {
        line.forEach((key, value) -> {
            if (value instanceof Number n && !LIVE.containsKey(key)) {
                fromLines.computeIfAbsent(key, k -> {
                    AtomicLong bits = new AtomicLong(Double.doubleToLongBits(Double.NaN));
                    register(k, bits, b -> Double.longBitsToDouble(b.get()));
                    return bits;
                }).set(Double.doubleToLongBits(n.doubleValue()));
            }
        });
    }

    private <T> void register(String key, T source, ToDoubleFunction<T> f) {
        String name = meterName(key);
        if (key.endsWith("_total")) {
            FunctionCounter.builder(name.substring(0, name.length() - ".total".length()), source, f)
                    .description(key + " of metrics.jsonl").register(registry);
        } else {
            Gauge.builder(name, source, f).description(key + " of metrics.jsonl").strongReference(true)
                    .register(registry);
        }
    }

    /** {@code reward/format/mean} → {@code groupflow.reward.format.mean} (Prometheus: groupflow_reward_format_mean). */
    static String meterName(String key) {
        return "groupflow." + key.replaceAll("[^A-Za-z0-9]+", ".").replaceAll("^\\.|\\.$", "");
    }

    /** The exposition, Prometheus text format 0.0.4. */
    public String scrape() {
        return registry.scrape();
    }

    /** The content type of {@link #scrape}. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
}
