package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real JVMs on 127.0.0.1: a learner whose verifier calls go to two verifier workers over Pekko Cluster. One
 * worker is SIGKILLed mid-run; the split-brain resolver downs it, the jobs it held are re-sent to the other worker
 * (with the learner's own timeout and retries out of the way, only reliable delivery can do that), and the run
 * finishes every step with every completion scored and every prompt in the ledger once. The surviving worker leaves
 * when the learner does.
 */
class ClusterRunTest {
    private static final int STEPS = 30;

    @Test
    void aKilledVerifierWorkerLosesNoWork(@TempDir Path tmp) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path run = tmp.resolve("run");
        Path learnerLog = tmp.resolve("learner.log");
        List<String> args = new ArrayList<>(List.of("--set", "train.steps=" + STEPS, "--set", "cluster.enabled=true",
                "--set", "cluster.remote-verifiers=true", "--set", "cluster.port=" + port,
                "--set", "cluster.down-unreachable-after=2s",
                "--set", "verifier.timeout=600s", "--set", "verifier.retries=0"));
        Process learner = GracefulStopTest.launch(run, learnerLog, args);
        List<Process> workers = new ArrayList<>();
        try {
            waitFor(() -> log(learnerLog).contains("learner node at"), learner, 120, learnerLog);
            String seed = "pekko://groupflow@127.0.0.1:" + port;
            for (int i = 0; i < 2; i++) {
                // each worker adds latency, so jobs are in flight at the moment one dies
                workers.add(worker(seed, tmp.resolve("worker-" + i + ".log")));
            }
            waitFor(() -> firstAnswers(log(learnerLog)).size() == 2, learner, 120, learnerLog);
            waitFor(() -> metricsLines(run) >= 8, learner, 120, learnerLog);
            workers.get(0).destroyForcibly(); // SIGKILL: no goodbye to the cluster, jobs unconfirmed
            // at most (S + 1) x B = 8 prompts are between admission and resolution: every prompt admitted by now
            // (the dead worker's jobs among them) has a key below what was resolved plus 8
            int admittedBound = resolvedKeys(run).size() + 8;

            assertTrue(learner.waitFor(300, TimeUnit.SECONDS), "the run finishes without the killed worker");
            String log = log(learnerLog);
            assertEquals(0, learner.exitValue(), log);
            // the split-brain resolver acts on the cluster leader, the reachable member with the lowest
            // address: the learner or the surviving worker, depending on the ports they were given
            String survivorLog = log(tmp.resolve("worker-1.log"));
            assertTrue(log.contains("SBR took decision DownUnreachable")
                            || survivorLog.contains("SBR took decision DownUnreachable"),
                    "the dead worker was downed:\n" + log + "\n--- surviving worker:\n" + survivorLog);

            List<JsonNode> metrics = new ArrayList<>();
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
                metrics.add(json.readTree(line));
            }
            assertEquals(STEPS, metrics.size(), "every step trained");
            for (JsonNode m : metrics) {
                assertEquals(0.0, m.get("reward_missing").asDouble(), "no completion went unscored: " + m);
            }
            List<List<Long>> trained = KillResumeTest.ledger(run);
            assertEquals(STEPS, trained.size());
            Set<Long> seen = new HashSet<>();
            for (String line : Files.readAllLines(run.resolve("ledger.jsonl"))) {
                JsonNode n = json.readTree(line);
                JsonNode keys = n.has("trained") ? n.get("trained") : n.get("stale");
                keys.forEach(k -> assertTrue(seen.add(k.asLong()), "prompt " + k + " in the ledger once"));
            }
            // nothing admitted before the kill was lost: each such prompt reached its terminal outcome (trained, or
            // dropped as stale and counted); none still waits for an answer that will never come
            Set<Long> resolved = resolvedKeys(run);
            for (long k = 0; k < admittedBound; k++) {
                assertTrue(resolved.contains(k), "prompt " + k + " (admitted before the kill) was resolved");
            }
            // every answer came from one of the two workers, and the survivor took over the dead one's share
            assertTrue(log.contains("verifier answers by worker"), log);

            Process survivor = workers.get(1);
            assertTrue(survivor.waitFor(60, TimeUnit.SECONDS), "the surviving worker leaves with the learner");
            String wlog = log(tmp.resolve("worker-1.log"));
            assertEquals(0, survivor.exitValue(), wlog);
            assertTrue(wlog.contains("left") && wlog.contains("this worker stops"), wlog);
        } finally {
            learner.destroyForcibly();
            workers.forEach(Process::destroyForcibly);
        }
    }

    /** Prompt keys the ledger records as trained or dropped stale. */
    private static Set<Long> resolvedKeys(Path run) {
        Set<Long> keys = new HashSet<>();
        try {
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(run.resolve("ledger.jsonl"))) {
                if (line.endsWith("}")) {
                    JsonNode n = json.readTree(line);
                    (n.has("trained") ? n.get("trained") : n.get("stale")).forEach(k -> keys.add(k.asLong()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }

    private static Process worker(String seed, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Launcher.path(), "worker", "--role", "verifier", "--seed-nodes", seed,
                "--set", "verifier.latency.distribution=lognormal", "--set", "verifier.latency.mean=40ms",
                "--set", "cluster.worker-concurrency=4")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("GROUPFLOW_SKIP_BUILD", "1");
        pb.environment().put("GROUPFLOW_JAVA_OPTS", "-Xss4m -Xmx512m");
        return pb.start();
    }

    private static final Pattern FIRST = Pattern.compile("verifier worker (\\S+) answered its first job");

    static int count(String log, String regex) {
        Set<String> distinct = new HashSet<>();
        Matcher m = Pattern.compile(regex).matcher(log);
        while (m.find()) {
            distinct.add(m.group(1));
        }
        return distinct.size();
    }

    private static Set<String> firstAnswers(String log) {
        Set<String> workers = new HashSet<>();
        Matcher m = FIRST.matcher(log);
        while (m.find()) {
            workers.add(m.group(1));
        }
        return workers;
    }

    static int metricsLines(Path run) {
        try {
            return GracefulStopTest.metricsLines(run);
        } catch (Exception e) {
            return 0;
        }
    }

    static String log(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    static void waitFor(BooleanSupplier done, Process p, int seconds, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            assertTrue(p.isAlive(), "the learner exited early:\n" + log(log));
            assertTrue(System.nanoTime() < deadline, "timed out waiting:\n" + log(log));
            Thread.sleep(100);
        }
    }
}
