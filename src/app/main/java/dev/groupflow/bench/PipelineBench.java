package dev.groupflow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.metrics.ProgressLine;
import dev.groupflow.pipeline.RunResult;
import dev.groupflow.pipeline.StepReporter;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import dev.groupflow.run.StreamingRun;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The same training run twice, lockstep then streaming, with a slow verifier (log-normal latency by default:
 * mean 1 s, sigma 1, a heavy tail), to measure what overlapping sampling, verification and learning buys.
 * Prints one JSON line per mode, then a summary line with {@code lockstep_s}, {@code streaming_s},
 * {@code samples} and {@code speedup}.
 */
public final class PipelineBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    private PipelineBench() {
    }

    /** Runs both modes with the given overrides (on top of the bench's own defaults). */
    public static List<ObjectNode> run(List<String> sets) throws Exception {
        Path tmp = Files.createTempDirectory("groupflow-bench-pipeline");
        ObjectNode lockstep = once(config("lockstep", sets), tmp.resolve("lockstep"));
        System.out.println(lockstep);
        ObjectNode streaming = once(config("streaming", sets), tmp.resolve("streaming"));
        System.out.println(streaming);
        ObjectNode summary = JSON.createObjectNode();
        summary.put("lockstep_s", lockstep.get("seconds").asDouble());
        summary.put("streaming_s", streaming.get("seconds").asDouble());
        summary.put("samples", streaming.get("samples_trained").asLong());
        summary.put("speedup", Math.round(lockstep.get("seconds").asDouble() / streaming.get("seconds").asDouble()
                * 100) / 100.0);
        return List.of(lockstep, streaming, summary);
    }

    static RunConfig config(String mode, List<String> sets) {
        List<String> all = new ArrayList<>(List.of("train.steps=15", "grpo.group-size=8", "train.batch-groups=8",
                "pipeline.sampler-batch-prompts=8", "pipeline.max-staleness=2", "verifier.concurrency=256",
                "verifier.latency.distribution=lognormal", "verifier.latency.mean=1s", "verifier.latency.sigma=1.0",
                "verifier.timeout=60s", "checkpoint.every=0", "log.every=100000", "log.completions-every=0",
                "model.device=cpu"));
        all.addAll(sets);
        all.add("pipeline.mode=" + mode);
        return RunConfig.load(null, all);
    }

    static ObjectNode once(RunConfig c, Path dir) throws Exception {
        try (RunAssembly assembly = RunAssembly.create(c, dir, false)) {
            StepReporter reporter = assembly.reporter(ProgressLine.plain(QUIET), 100000, 0);
            long t0 = System.nanoTime();
            RunResult result;
            if (c.pipeline().mode() == RunConfig.Mode.LOCKSTEP) {
                result = assembly.lockstep(reporter).run(() -> false);
            } else {
                try (StreamingRun run = StreamingRun.start(assembly, reporter)) {
                    result = run.await(Duration.ofHours(1));
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (result instanceof RunResult.Failed failed) {
                throw new IllegalStateException(c.pipeline().mode() + " run failed: " + failed.reason());
            }
            ObjectNode out = JSON.createObjectNode();
            out.put("mode", c.pipeline().mode().name().toLowerCase(Locale.ROOT));
            out.put("steps", result.steps());
            out.put("seconds", Math.round(seconds * 100) / 100.0);
            out.put("samples_trained", reporter.samplesTrained());
            out.put("samples_generated", assembly.gauges().samplesGenerated.get());
            out.put("dropped_stale_groups", assembly.gauges().groupsStale.get());
            out.put("verifier_concurrency", c.verifier().concurrency());
            out.put("latency", c.verifier().latency().distribution() + " mean "
                    + c.verifier().latency().mean().toMillis() + " ms sigma " + c.verifier().latency().sigma());
            out.put("verifier_p50_ms", Math.round(assembly.gauges().latencyQuantile(0.5)));
            out.put("verifier_p95_ms", Math.round(assembly.gauges().latencyQuantile(0.95)));
            out.put("max_staleness", c.pipeline().maxStaleness());
            out.put("samples_per_s", Math.round(reporter.samplesTrained() / seconds * 10) / 10.0);
            return out;
        }
    }
}
