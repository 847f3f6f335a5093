package dev.groupflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A verifier-bound run scaled out: the same training with a slow verifier (fixed latency, fixed concurrency per
 * verifying node) on the learner itself, then on 1, 2, ... verifier worker JVMs joined over Pekko Cluster on this
 * machine. One JSON line per setting with the steady-state trained samples per second (from the third step on, so
 * JVM start and cluster join are not counted) and its ratio to the local run.
 */
public final class ClusterBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    private static final int WARMUP_STEPS = 3;

    private ClusterBench() {
    }

    public static List<ObjectNode> run(int maxWorkers, Duration latency, int concurrency, int steps, List<String> sets)
            throws Exception {
        Path tmp = Files.createTempDirectory("groupflow-bench-cluster");
        List<ObjectNode> out = new ArrayList<>();
        double baseline = Double.NaN;
        for (int workers = 0; workers <= maxWorkers; workers++) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            List<String> all = new ArrayList<>(List.of("train.steps=" + steps, "grpo.group-size=8",
                    "train.batch-groups=8", "pipeline.sampler-batch-prompts=8", "pipeline.max-staleness=4",
                    "verifier.timeout=120s", "checkpoint.every=0", "log.every=100000", "log.completions-every=0",
                    "model.device=cpu"));
            if (workers == 0) {
                all.addAll(List.of("verifier.concurrency=" + concurrency, "verifier.latency.distribution=fixed",
                        "verifier.latency.mean=" + latency.toMillis() + "ms"));
            } else {
                all.addAll(List.of("verifier.concurrency=512", "cluster.enabled=true",
                        "cluster.remote-verifiers=true", "cluster.port=" + port));
            }
            all.addAll(sets);
            RunConfig c = RunConfig.load(null, all);
            Path dir = tmp.resolve("workers-" + workers);
            List<Process> procs = new ArrayList<>();
            ObjectNode line = JSON.createObjectNode();
            try (RunAssembly assembly = RunAssembly.create(c, dir, false)) {
                StepReporter reporter = assembly.reporter(ProgressLine.plain(QUIET), 100000, 0);
                RunResult result;
                try (StreamingRun run = StreamingRun.start(assembly, reporter)) {
                    for (int w = 0; w < workers; w++) {
                        procs.add(worker("pekko://groupflow@127.0.0.1:" + port, latency, concurrency,
                                dir.resolve("worker-" + w + ".log")));
                    }
                    result = run.await(Duration.ofHours(1));
                }
                if (result instanceof RunResult.Failed failed) {
                    throw new IllegalStateException("run with " + workers + " workers failed: " + failed.reason());
                }
            } finally {
                for (Process p : procs) {
                    if (!p.waitFor(30, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                }
            }
            List<JsonNode> metrics = new ArrayList<>();
            for (String l : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
                metrics.add(JSON.readTree(l));
            }
            JsonNode first = metrics.get(WARMUP_STEPS - 1);
            JsonNode last = metrics.get(metrics.size() - 1);
            double samples = last.get("samples_trained_total").asDouble() - first.get("samples_trained_total").asDouble();
            double seconds = last.get("wall_seconds").asDouble() - first.get("wall_seconds").asDouble();
            double perSecond = samples / seconds;
            if (workers == 0) {
                baseline = perSecond;
            }
            line.put("verifier_workers", workers);
            line.put("where", workers == 0 ? "learner JVM" : workers + " worker JVM(s)");
            line.put("verifier_latency_ms", latency.toMillis());
            line.put("concurrency_per_verifying_node", concurrency);
            line.put("verifier_capacity_per_s", Math.round(Math.max(1, workers) * concurrency * 1000.0
                    / latency.toMillis() * 10) / 10.0);
            line.put("steady_steps", metrics.size() - WARMUP_STEPS);
            line.put("samples_per_s", Math.round(perSecond * 10) / 10.0);
            line.put("throughput_vs_local", Math.round(perSecond / baseline * 1000) / 1000.0);
            line.put("verifier_p95_ms", last.get("verifier_latency_p95_ms").asDouble());
            System.out.println(line);
            out.add(line);
        }
        return out;
    }

    private static Process worker(String seed, Duration latency, int concurrency, Path log) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-Xss4m", "-Xmx512m", "-Dai.djl.offline=true",
                "-DOPT_OUT_TRACKING=true", "-cp", System.getProperty("java.class.path"), "dev.groupflow.cli.Main",
                "worker", "--role", "verifier", "--seed-nodes", seed,
                "--set", "verifier.latency.distribution=fixed", "--set", "verifier.latency.mean=" + latency.toMillis() + "ms",
                "--set", "cluster.worker-concurrency=" + concurrency)
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        return pb.start();
    }
}
