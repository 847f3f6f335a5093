package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.checkpoint.Checkpointer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code bin/groupflow train} in deterministic mode is killed with SIGKILL again and again (while sampling,
 * between steps, inside a checkpoint write) and resumed each time; it must end with weights bit-identical to an
 * uninterrupted run, and its ledger must show every prompt trained exactly once, in the same steps. HfCheckpoints
 * come every 2 steps, so a kill after an odd step loses it and the resumed run trains it again; at least one kill
 * must land inside a checkpoint write (its step-N.tmp is left behind).
 */
class KillResumeTest {
    private static final List<String> RUN = List.of("--set", "deterministic=true", "--set", "pipeline.max-staleness=1",
            "--set", "grpo.group-size=4", "--set", "train.batch-groups=4", "--set", "pipeline.sampler-batch-prompts=2",
            "--set", "train.steps=10", "--set", "checkpoint.every=2", "--set", "checkpoint.keep=2",
            "--set", "log.every=1", "--set", "model.device=cpu", "--set", "task.eval-prompts=8",
            "--set", "sampling.max-new-tokens=6", "--set", "verifier.latency.distribution=lognormal",
            "--set", "verifier.latency.mean=15ms", "--set", "seed=11", "--set", "dashboard.port=0");

    private static Process launch(Path run, Path log, boolean resume) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Launcher.path(), "train", "--run-dir", run.toString()));
        if (resume) {
            cmd.add("--resume");
        }
        cmd.addAll(RUN);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("GROUPFLOW_SKIP_BUILD", "1");
        pb.environment().put("GROUPFLOW_JAVA_OPTS", "-Xss4m -Xmx1g");
        return pb.start();
    }

    private static boolean hasCheckpoint(Path run) {
        return !new Checkpointer(run.resolve("checkpoints"), 2).complete().isEmpty();
    }

    private static int steps(Path run) throws Exception {
        Path m = run.resolve("metrics.jsonl");
        return Files.exists(m) ? (int) Files.readAllLines(m).stream().filter(l -> l.endsWith("}")).count() : 0;
    }

    private static boolean writingCheckpoint(Path run) {
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp"));
        } catch (Exception e) {
            return false;
        }
    }

    /** Waits for the process to exit on its own; one that does not is killed (no process outlives the test). */
    private static boolean finishes(Process p) throws InterruptedException {
        if (p.waitFor(300, TimeUnit.SECONDS)) {
            return true;
        }
        p.destroyForcibly().waitFor(60, TimeUnit.SECONDS);
        return false;
    }

    /** How a kill went: whether the process was still running, and whether {@code when} held when it was killed. */
    private record Kill(boolean killed, boolean onCue) {
    }

    /** Waits until {@code when} holds (or the process exits, or 120 s pass), then kills it with SIGKILL. */
    private static Kill killWhen(Process p, Predicate<Void> when) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        boolean onCue = false;
        while (p.isAlive() && !(onCue = when.test(null)) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        if (!p.isAlive()) {
            return new Kill(false, false);
        }
        p.destroyForcibly(); // SIGKILL: no shutdown hook, no final checkpoint
        p.waitFor(60, TimeUnit.SECONDS);
        return new Kill(true, onCue);
    }

    @Test
    void killedAnywhereAndResumedEndsWithTheUninterruptedWeights(@TempDir Path tmp) throws Exception {
        Path reference = tmp.resolve("reference");
        Process r = launch(reference, tmp.resolve("reference.log"), false);
        assertTrue(finishes(r), Files.readString(tmp.resolve("reference.log")));
        assertEquals(0, r.exitValue(), Files.readString(tmp.resolve("reference.log")));

        Path run = tmp.resolve("killed");
        Path log = tmp.resolve("killed.log");
        Random random = new Random(7);
        List<String> killedAt = new ArrayList<>();
        int midWrite = 0;
        // kill points, in order: during the first sampling, after some steps, inside checkpoint writes, ...
        List<String> plan = List.of("start", "steps", "checkpoint", "steps", "checkpoint", "steps", "checkpoint");
        for (String point : plan) {
            Process p = launch(run, log, hasCheckpoint(run));
            int before = steps(run);
            Kill kill = switch (point) {
                case "start" -> killWhen(p, x -> Files.exists(run.resolve("config.conf")));
                case "steps" -> {
                    // an odd step: no checkpoint follows it (every 2), so the kill loses it and the resume replays it
                    int target = Math.min(9, before + 1 + 2 * random.nextInt(2));
                    yield killWhen(p, x -> {
                        try {
                            return steps(run) >= target;
                        } catch (Exception e) {
                            return false;
                        }
                    });
                }
                default -> killWhen(p, x -> {
                    try {
                        return steps(run) > before && writingCheckpoint(run);
                    } catch (Exception e) {
                        return false;
                    }
                });
            };
            if (kill.killed()) {
                // a kill inside a checkpoint write leaves its step-N.tmp behind, unrenamed
                boolean torn = writingCheckpoint(run);
                killedAt.add(point + "@" + steps(run) + (kill.onCue() ? "" : "(late)") + (torn ? "(mid-write)" : ""));
                if (torn) {
                    midWrite++;
                }
            }
        }
        System.out.println("killed at (point@steps reported): " + killedAt);
        assertTrue(killedAt.size() >= 5, "killed at least 5 times: " + killedAt);
        assertTrue(midWrite >= 1, "at least one kill landed inside a checkpoint write: " + killedAt);
        // with checkpoint.every = 2, a kill after an odd step loses it: the resumed run trains it again, and the
        // run files (metrics, ledger) are cut back to the checkpoint so that it is counted once
        boolean finished = false;
        for (int attempt = 0; attempt < 3 && !finished; attempt++) {
            Process p = launch(run, log, hasCheckpoint(run));
            assertTrue(finishes(p), Files.readString(log));
            finished = p.exitValue() == 0;
        }
        assertTrue(finished, Files.readString(log));

        byte[] expected = Files.readAllBytes(reference.resolve("checkpoints/step-10/model.safetensors"));
        byte[] actual = Files.readAllBytes(run.resolve("checkpoints/step-10/model.safetensors"));
        assertArrayEquals(expected, actual, "bit-identical weights after kills at " + killedAt);
        // and the optimizer's moments: a resumed run continues exactly, not just lands on the same weights
        assertArrayEquals(Files.readAllBytes(reference.resolve("checkpoints/step-10/optimizer.safetensors")),
                Files.readAllBytes(run.resolve("checkpoints/step-10/optimizer.safetensors")),
                "bit-identical AdamW state after kills at " + killedAt);

        List<List<Long>> trained = ledger(run);
        assertEquals(ledger(reference), trained, "the same prompts, trained in the same steps");
        Set<Long> once = new HashSet<>();
        trained.forEach(step -> step.forEach(k -> assertTrue(once.add(k), "prompt " + k + " trained twice")));
        assertEquals(40, once.size(), "10 steps x 4 prompts, none skipped");
        assertEquals(10, Files.readAllLines(run.resolve("metrics.jsonl")).size(), "one metrics line per step");
    }

    /** The trained keys of each step, in step order. */
    static List<List<Long>> ledger(Path run) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<List<Long>> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("ledger.jsonl"))) {
            JsonNode n = json.readTree(line);
            if (n.has("trained")) {
                List<Long> keys = new ArrayList<>();
                n.get("trained").forEach(k -> keys.add(k.asLong()));
                assertEquals(out.size() + 1, n.get("step").asInt(), "steps in order, each once");
                out.add(keys);
            }
        }
        return out;
    }
}
