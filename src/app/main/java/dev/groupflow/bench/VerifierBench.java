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

/**
 * Streaming-pipeline throughput as the verifier slows down: the same run with a fixed verifier latency of 0,
 * 0.5 s and 2 s at the configured concurrency. One JSON line per latency with trained samples per second and
 * the ratio to the zero-latency run, which says how much of the verifier's latency the pipeline hides.
 */
public final class VerifierBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    private VerifierBench() {
    }

    public static List<ObjectNode> run(List<Duration> latencies, List<String> sets) throws Exception {
        Path tmp = Files.createTempDirectory("groupflow-bench-verifiers");
        List<ObjectNode> out = new ArrayList<>();
        double baseline = Double.NaN;
        for (Duration latency : latencies) {
            List<String> all = new ArrayList<>(List.of("train.steps=20", "grpo.group-size=8", "train.batch-groups=8",
                    "pipeline.sampler-batch-prompts=8", "pipeline.max-staleness=4", "verifier.concurrency=512",
                    "verifier.timeout=60s", "checkpoint.every=0", "log.every=100000", "log.completions-every=0",
                    "model.device=cpu"));
            all.add(latency.isZero() ? "verifier.latency.distribution=none" : "verifier.latency.distribution=fixed");
            all.add("verifier.latency.mean=" + Math.max(1, latency.toMillis()) + "ms");
            all.addAll(sets);
            RunConfig c = RunConfig.load(null, all);
            ObjectNode line = once(c, tmp.resolve("latency-" + latency.toMillis()));
            line.put("verifier_latency_ms", latency.toMillis());
            if (latency.isZero()) {
                baseline = line.get("samples_per_s").asDouble();
            }
            line.put("throughput_vs_zero_latency", Math.round(line.get("samples_per_s").asDouble() / baseline * 1000)
                    / 1000.0);
            System.out.println(line);
            out.add(line);
        }
        return out;
    }

    static ObjectNode once(RunConfig c, Path dir) throws Exception {
        try (RunAssembly assembly = RunAssembly.create(c, dir, false)) {
            StepReporter reporter = assembly.reporter(ProgressLine.plain(QUIET), 100000, 0);
            long t0 = System.nanoTime();
            RunResult result;
            try (StreamingRun run = StreamingRun.start(assembly, reporter)) {
                result = run.await(Duration.ofHours(1));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (result instanceof RunResult.Failed failed) {
                throw new IllegalStateException("run failed: " + failed.reason());
            }
            ObjectNode n = JSON.createObjectNode();
            n.put("steps", result.steps());
            n.put("seconds", Math.round(seconds * 100) / 100.0);
            n.put("samples_trained", reporter.samplesTrained());
            n.put("samples_per_s", Math.round(reporter.samplesTrained() / seconds * 10) / 10.0);
            n.put("verifier_concurrency", c.verifier().concurrency());
            n.put("max_staleness", c.pipeline().maxStaleness());
            n.put("dropped_stale_groups", assembly.gauges().groupsStale.get());
            return n;
        }
    }
}
