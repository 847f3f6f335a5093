package dev.groupflow.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.agent.GuessEnvironment;
import dev.groupflow.agent.JavaEnvironment;
import dev.groupflow.embed.GrpoTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent run whose environment is an actor of the host application ({@code GrpoTraining.environment}). */
class EmbeddedAgentTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void episodesArePlayedAgainstTheApplicationsEnvironmentActor(@TempDir Path tmp) throws Exception {
        EmbeddedAgentExample.Observed seen = EmbeddedAgentExample.observed();
        ActorSystem<Void> host = ActorSystem.create(EmbeddedAgentExample.application(tmp, 3, seen), "host-app");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (seen.events().stream().noneMatch(e -> e instanceof GrpoTraining.Finished)
                    && System.nanoTime() < deadline) {
                if (seen.events().stream().anyMatch(e -> e instanceof GrpoTraining.Failed)) {
                    throw new AssertionError("training failed: " + seen.events());
                }
                Thread.sleep(20);
            }
            GrpoTraining.Finished f = (GrpoTraining.Finished) seen.events().get(seen.events().size() - 1);
            assertEquals(3, f.steps());
            // 3 steps of 2 groups of 4 episodes, each of exactly 2 turns in the application's game
            assertTrue(seen.starts().get() >= 3 * 2 * 4, "episodes started by the host's actor: " + seen.starts());
            assertTrue(seen.steps().get() >= 2 * 3 * 2 * 4, "turns answered by the host's actor: " + seen.steps());
            assertTrue(seen.ends().get() > 0, "episodes ended at the host's actor: " + seen.ends());
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(tmp.resolve("metrics.jsonl"))) {
                lines.add(JSON.readTree(line));
            }
            assertEquals(3, lines.size());
            for (JsonNode m : lines) {
                assertEquals(8, m.get("episodes").asInt(), "metrics: " + m);
                // the built-in guess game would play up to agent.max-turns = 3 and rarely end an episode itself
                assertEquals(2.0, m.get("turns_per_episode").asDouble(), "metrics: " + m);
                assertEquals(1.0, m.get("success_rate").asDouble(), "metrics: " + m);
                assertEquals(0, m.get("environment_failures").asInt(), "metrics: " + m);
            }
        } finally {
            host.terminate();
            host.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void anEnvironmentNeedsAnAgentRun(@TempDir Path tmp) {
        var pool = Executors.newSingleThreadExecutor();
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GrpoTraining.builder()
                    .runDir(tmp).environment(new JavaEnvironment(new GuessEnvironment(false), pool)).build());
            assertTrue(e.getMessage().contains("task.name = guess"), e.getMessage());
        } finally {
            pool.shutdownNow();
        }
    }
}
