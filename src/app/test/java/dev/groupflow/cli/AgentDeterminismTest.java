package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.checkpoint.Checkpointer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deterministic mode with episodes: the built-in guess environment is deterministic, episodes are sampled in
 * lockstep batches with the weights' version their task's admission ordinal implies, so an agent run killed
 * (SIGKILL, no final checkpoint) and resumed ends with exactly the weights, optimizer state and ledger of an
 * uninterrupted run.
 */
class AgentDeterminismTest {
    private static final List<String> RUN = List.of("--task", "agent", "--set", "deterministic=true",
            "--set", "pipeline.max-staleness=1", "--set", "grpo.group-size=4", "--set", "train.batch-groups=4",
            "--set", "pipeline.sampler-batch-prompts=2", "--set", "train.steps=6", "--set", "checkpoint.every=2",
            "--set", "log.every=1", "--set", "model.device=cpu", "--set", "task.eval-prompts=4",
            "--set", "agent.max-turns=3", "--set", "agent.estimator=gigpo", "--set", "seed=5",
            "--set", "dashboard.enabled=false");

    private static Process launch(Path run, Path log, boolean resume) throws Exception {
        return Launcher.train(run, log, resume, RUN);
    }

    private static int steps(Path run) throws Exception {
        Path m = run.resolve("metrics.jsonl");
        return Files.exists(m) ? (int) Files.readAllLines(m).stream().filter(l -> l.endsWith("}")).count() : 0;
    }

    /** Waits for the process to exit on its own; one that does not is killed (no process outlives the test). */
    private static void finish(Process p, Path log) throws Exception {
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(60, TimeUnit.SECONDS);
        }
        assertEquals(0, p.exitValue(), Files.readString(log));
    }

    @Test
    void anAgentRunKilledAndResumedEndsWithTheUninterruptedWeights(@TempDir Path tmp) throws Exception {
        Path reference = tmp.resolve("reference");
        Path referenceLog = tmp.resolve("reference.log");
        finish(launch(reference, referenceLog, false), referenceLog);

        Path run = tmp.resolve("killed");
        Path log = tmp.resolve("killed.log");
        Process p = launch(run, log, false);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (p.isAlive() && steps(run) < 3 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(p.isAlive(), "still running after step 3: " + Files.readString(log));
        p.destroyForcibly(); // SIGKILL after step 3: step 3 is lost (checkpoints every 2), episodes were in flight
        p.waitFor(60, TimeUnit.SECONDS);
        assertTrue(!new Checkpointer(run.resolve("checkpoints"), 2).complete().isEmpty(), Files.readString(log));
        finish(launch(run, log, true), log);

        for (String file : List.of("model.safetensors", "optimizer.safetensors")) {
            assertArrayEquals(Files.readAllBytes(reference.resolve("checkpoints/step-6/" + file)),
                    Files.readAllBytes(run.resolve("checkpoints/step-6/" + file)), "bit-identical " + file);
        }
        assertEquals(KillResumeTest.ledger(reference), KillResumeTest.ledger(run),
                "the same tasks, trained in the same steps");
        assertEquals(Files.readString(reference.resolve("eval.json")), Files.readString(run.resolve("eval.json")),
                "the same held-out episodes");
    }
}
