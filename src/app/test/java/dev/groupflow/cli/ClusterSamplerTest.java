package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sampling on another JVM: the learner shares each policy version as a checkpoint directory and a sampler worker
 * samples with it. The first worker is SIGKILLed mid-run; its unconfirmed job goes to a replacement that joins
 * later, and the run finishes every step, each prompt in the ledger once, old weight versions pruned.
 */
class ClusterSamplerTest {
    private static final int STEPS = 12;

    @Test
    void aReplacementSamplerWorkerFinishesTheRun(@TempDir Path tmp) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path run = tmp.resolve("run");
        Path learnerLog = tmp.resolve("learner.log");
        Process learner = GracefulStopTest.launch(run, learnerLog, List.of("--set", "train.steps=" + STEPS,
                "--set", "cluster.enabled=true", "--set", "cluster.remote-samplers=true",
                "--set", "cluster.port=" + port, "--set", "cluster.down-unreachable-after=2s"));
        List<Process> workers = new ArrayList<>();
        try {
            String seed = "pekko://groupflow@127.0.0.1:" + port;
            ClusterRunTest.waitFor(() -> ClusterRunTest.log(learnerLog).contains("learner node at"), learner, 120,
                    learnerLog);
            workers.add(worker(seed, tmp.resolve("worker-0.log")));
            ClusterRunTest.waitFor(() -> ClusterRunTest.metricsLines(run) >= 3, learner, 180, learnerLog);
            workers.get(0).destroyForcibly();
            assertTrue(workers.get(0).waitFor(30, TimeUnit.SECONDS));
            int before = ClusterRunTest.metricsLines(run);
            workers.add(worker(seed, tmp.resolve("worker-1.log")));

            assertTrue(learner.waitFor(300, TimeUnit.SECONDS), "the run finishes with the replacement worker");
            String log = ClusterRunTest.log(learnerLog);
            assertEquals(0, learner.exitValue(), log);
            assertTrue(before < STEPS, "the first worker died mid-run");
            assertEquals(2, ClusterRunTest.count(log, "sampler worker (\\S+) answered its first job"),
                    "both workers sampled:\n" + log);

            ObjectMapper json = new ObjectMapper();
            List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
            assertEquals(STEPS, metrics.size());
            for (String line : metrics) {
                JsonNode m = json.readTree(line);
                assertEquals(0.0, m.get("reward_missing").asDouble(), line);
                assertTrue(m.get("samples").asDouble() > 0, line);
            }
            assertEquals(STEPS, KillResumeTest.ledger(run).size());
            Set<Long> seen = new HashSet<>();
            for (String line : Files.readAllLines(run.resolve("ledger.jsonl"))) {
                JsonNode n = json.readTree(line);
                (n.has("trained") ? n.get("trained") : n.get("stale"))
                        .forEach(k -> assertTrue(seen.add(k.asLong()), "prompt " + k + " once"));
            }
            try (Stream<Path> versions = Files.list(run.resolve("weights"))) {
                List<Path> kept = versions.toList();
                assertTrue(!kept.isEmpty() && kept.size() <= 6, "old versions pruned: " + kept);
                for (Path v : kept) {
                    assertTrue(Files.exists(v.resolve("config.json")) && Files.exists(v.resolve("model.safetensors")),
                            "a complete checkpoint directory: " + v);
                }
            }
            assertTrue(workers.get(1).waitFor(60, TimeUnit.SECONDS), "the replacement leaves with the learner");
            assertEquals(0, workers.get(1).exitValue(), ClusterRunTest.log(tmp.resolve("worker-1.log")));
        } finally {
            learner.destroyForcibly();
            workers.forEach(Process::destroyForcibly);
        }
    }

    private static Process worker(String seed, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Launcher.path(), "worker", "--role", "sampler", "--seed-nodes", seed,
                "--set", "model.device=cpu").redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("GROUPFLOW_SKIP_BUILD", "1");
        pb.environment().put("GROUPFLOW_JAVA_OPTS", "-Xss4m -Xmx512m");
        return pb.start();
    }
}
