package dev.groupflow.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.embed.GrpoTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code agent.environment = http}: a run plays its episodes against the reference server over the wire. */
class HttpEnvironmentTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRunTrainsAgainstTheReferenceServer(@TempDir Path tmp) throws Exception {
        ActorTestKit kit = ActorTestKit.create();
        try (TestEnvironmentServer server = new TestEnvironmentServer()) {
            ActorRef<GrpoTraining.Command> training = kit.spawn(GrpoTraining.builder().runDir(tmp)
                    .set("task.name=guess").set("agent.environment=http")
                    .set("agent.http.url=" + server.base("plain"))
                    .set("agent.max-turns=3").set("agent.max-turn-tokens=4")
                    .set("train.steps=2").set("grpo.group-size=4").set("train.batch-groups=2")
                    .set("pipeline.sampler-batch-prompts=2").set("checkpoint.every=0").set("model.device=cpu")
                    .build(), "training");
            TestProbe<GrpoTraining.Event> events = kit.createTestProbe();
            training.tell(new GrpoTraining.Subscribe(events.ref()));
            training.tell(GrpoTraining.Start.INSTANCE);
            GrpoTraining.Event end = events.fishForMessage(Duration.ofSeconds(180),
                    e -> e instanceof GrpoTraining.Finished || e instanceof GrpoTraining.Failed
                            ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore())
                    .get(0);
            assertTrue(end instanceof GrpoTraining.Finished f && f.steps() == 2, "the run: " + end);
            assertTrue(server.hits("/plain/start") >= 2 * 2 * 4, "episodes started at the server: "
                    + server.hits("/plain/start"));
            assertTrue(server.hits("/plain/step") >= 2 * 2 * 4, "turns at the server: " + server.hits("/plain/step"));
            List<String> lines = Files.readAllLines(tmp.resolve("metrics.jsonl"));
            assertEquals(2, lines.size());
            for (String line : lines) {
                JsonNode m = JSON.readTree(line);
                assertEquals(8, m.get("episodes").asInt(), "metrics: " + m);
                assertEquals(0, m.get("environment_failures").asInt(), "metrics: " + m);
                assertTrue(m.get("turns_per_episode").asDouble() >= 1, "metrics: " + m);
            }
        } finally {
            kit.shutdownTestKit();
        }
    }
}
