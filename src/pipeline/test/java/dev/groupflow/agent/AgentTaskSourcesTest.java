package dev.groupflow.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.data.Prompt;
import dev.groupflow.embed.GrpoTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where an agent run's tasks come from besides the built-in task: a JSONL file (data.prompts) whose rows reach an
 * HTTP environment in {@code /start} as they are (text or messages, answer), its malformed rows quarantined; and,
 * embedded, a stream of the application's ({@code GrpoTraining.builder().prompts(...)}) played against the
 * application's environment. The rows are written in words the built-in policy cannot spell: a task is the
 * environment's to show, never tokenized for the policy.
 */
class AgentTaskSourcesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static GrpoTraining.Event runToEnd(ActorTestKit kit, GrpoTraining.Builder builder) {
        ActorRef<GrpoTraining.Command> training = kit.spawn(builder.build(), "training");
        TestProbe<GrpoTraining.Event> events = kit.createTestProbe();
        training.tell(new GrpoTraining.Subscribe(events.ref()));
        training.tell(GrpoTraining.Start.INSTANCE);
        return events.fishForMessage(Duration.ofSeconds(180),
                e -> e instanceof GrpoTraining.Finished || e instanceof GrpoTraining.Failed
                        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0);
    }

    private static GrpoTraining.Builder twoSteps(Path runDir) {
        return GrpoTraining.builder().runDir(runDir).set("task.name=guess").set("agent.max-turns=2")
                .set("agent.max-turn-tokens=4").set("train.steps=2").set("grpo.group-size=2")
                .set("train.batch-groups=2").set("pipeline.sampler-batch-prompts=1").set("checkpoint.every=0")
                .set("model.device=cpu");
    }

    @Test
    void theRowsOfATasksFileReachTheHttpEnvironment(@TempDir Path tmp) throws Exception {
        Path tasks = tmp.resolve("tasks.jsonl");
        Files.writeString(tasks, """
                {"prompt": "Find the hidden string", "answer": "012", "metadata": {"level": 1}}
                {"messages": [{"role": "user", "content": "Guess again"}], "answer": "3"}
                {"answer": "no prompt"}
                """);
        ActorTestKit kit = ActorTestKit.create();
        try (TestEnvironmentServer server = new TestEnvironmentServer()) {
            GrpoTraining.Event end = runToEnd(kit, twoSteps(tmp.resolve("run")).set("agent.environment=http")
                    .set("agent.http.url=" + server.base("plain")).set("data.prompts=" + tasks)
                    .set("data.max-bad-fraction=0.5"));
            assertTrue(end instanceof GrpoTraining.Finished f && f.steps() == 2, "the run: " + end);

            Set<String> seen = new HashSet<>();
            for (JsonNode request : List.copyOf(server.requests)) {
                JsonNode task = request.get("task");
                if (task == null) {
                    continue; // a step or an end
                }
                String answer = task.get("answer").asText();
                seen.add(answer);
                if (answer.equals("012")) {
                    assertEquals("tasks.jsonl:1", task.get("id").asText());
                    assertEquals("Find the hidden string", task.get("prompt").asText());
                    assertEquals(1, task.get("metadata").get("level").asInt());
                } else {
                    assertEquals("3", answer, "only the file's valid rows are tasks: " + task);
                    assertEquals("Guess again", task.get("messages").get(0).get("content").asText(),
                            "a chat row reaches the environment as messages: " + task);
                    assertTrue(!task.has("prompt"), "a chat row has no prompt text: " + task);
                }
            }
            assertEquals(Set.of("012", "3"), seen, "every row played");
            List<String> quarantined = Files.readAllLines(tmp.resolve("run/quarantine.jsonl"));
            assertEquals(1, quarantined.size(), "quarantine: " + quarantined);
            assertEquals(3, JSON.readTree(quarantined.get(0)).get("line").asInt(), "quarantine: " + quarantined);
        } finally {
            kit.shutdownTestKit();
        }
    }

    /** The built-in game, recording each task it is started with. */
    private record Recording(GuessEnvironment game, ConcurrentLinkedQueue<Prompt> tasks) implements LocalEnvironment {
        @Override
        public Session start(EpisodeStart start) {
            tasks.add(start.task());
            return game.start(start);
        }
    }

    @Test
    void anEmbeddedRunPlaysTheApplicationsTasksAgainstItsEnvironment(@TempDir Path tmp) {
        List<Prompt> supplied = List.of(
                Prompt.text("app-1", "Find the three hidden digits", "201"),
                new Prompt("app-2", null, List.of(Map.of("role", "user", "content", "Find two")), "13", Map.of()));
        ConcurrentLinkedQueue<Prompt> started = new ConcurrentLinkedQueue<>();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        ActorTestKit kit = ActorTestKit.create();
        try {
            GrpoTraining.Event end = runToEnd(kit, twoSteps(tmp.resolve("run"))
                    .prompts(Source.cycle(supplied::iterator))
                    .environment(new JavaEnvironment(new Recording(new GuessEnvironment(false), started), threads)));
            assertTrue(end instanceof GrpoTraining.Finished f && f.steps() == 2, "the run: " + end);
            List<Prompt> tasks = new ArrayList<>(started);
            assertTrue(tasks.size() >= 2 * 2 * 2, "B x G episodes a step were started: " + tasks.size());
            Set<String> ids = new HashSet<>();
            for (Prompt task : tasks) {
                ids.add(task.id());
                Prompt row = supplied.stream().filter(p -> p.id().equals(task.id())).findFirst().orElseThrow();
                assertEquals(row.answer(), task.answer());
                assertEquals(row.text(), task.text(), "the task as the application gave it: " + task);
                assertEquals(row.messages(), task.messages(), "the task as the application gave it: " + task);
            }
            assertEquals(Set.of("app-1", "app-2"), ids);
        } finally {
            kit.shutdownTestKit();
            threads.shutdownNow();
        }
    }
}
