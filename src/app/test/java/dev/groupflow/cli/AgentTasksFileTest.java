package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent run's tasks from a JSONL file ({@code --prompts}, data.prompts) and its held-out tasks from another
 * (eval.prompts), played by the built-in game: each row's answer is the hidden string, rows the game cannot play are
 * quarantined with their line numbers like malformed ones.
 */
class AgentTasksFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theRowsOfATasksFileAreTheGamesAndBadRowsAreQuarantined(@TempDir Path tmp) throws Exception {
        Path tasks = tmp.resolve("tasks.jsonl");
        Files.writeString(tasks, """
                {"prompt": "find the hidden digits", "answer": "012"}
                {"messages": [{"role": "user", "content": "and these"}], "answer": 30}
                {"prompt": "not a game", "answer": "abc"}
                {"prompt": "broken
                {"prompt": "one digit", "answer": "2"}
                """);
        Path heldOut = tmp.resolve("held-out.jsonl");
        Files.writeString(heldOut, """
                {"prompt": "e", "answer": "1"}
                {"prompt": "f", "answer": "x"}
                {"prompt": "g", "answer": "0231"}
                """);
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = SampleCommandTest.run("train", "--task", "agent", "--prompts", tasks.toString(),
                "--run-dir", run.toString(), "--no-dashboard", "--set", "eval.prompts=" + heldOut,
                "--set", "data.max-bad-fraction=0.5", "--set", "train.steps=3", "--set", "train.batch-groups=2",
                "--set", "grpo.group-size=2", "--set", "pipeline.sampler-batch-prompts=1", "--set", "agent.max-turns=2",
                "--set", "agent.max-turn-tokens=4", "--set", "log.every=1", "--set", "log.completions-every=1",
                "--set", "checkpoint.every=0", "--set", "model.device=cpu");
        assertEquals(0, r.code(), r.err());

        List<JsonNode> quarantined = AgentChatTrainTest.lines(run.resolve("quarantine.jsonl"));
        assertEquals(2, quarantined.size(), "quarantine: " + quarantined);
        assertEquals(3, quarantined.get(0).get("line").asInt());
        assertTrue(quarantined.get(0).get("reason").asText().startsWith("answer: the guess game's hidden string"),
                "quarantine: " + quarantined);
        assertEquals("{\"prompt\": \"not a game\", \"answer\": \"abc\"}", quarantined.get(0).get("text").asText());
        assertEquals(4, quarantined.get(1).get("line").asInt());

        // each row's answer reached the environment: the game answers a guess with one mark per hidden digit
        Map<String, Integer> hidden = Map.of("tasks.jsonl:1", 3, "tasks.jsonl:2", 2, "tasks.jsonl:5", 1);
        Set<String> played = new HashSet<>();
        for (JsonNode c : AgentChatTrainTest.lines(run.resolve("completions.jsonl"))) {
            String id = c.get("prompt_id").asText();
            assertTrue(hidden.containsKey(id), "a valid row of the file: " + c);
            played.add(id);
            if (id.equals("tasks.jsonl:2")) {
                assertEquals("and these", c.get("prompt").asText(), "a chat row stays a chat row: " + c);
            }
            for (JsonNode turn : c.get("turns")) {
                if (!turn.get("observation").isNull()) {
                    assertEquals(hidden.get(id) + 1, turn.get("observation").asText().length(),
                            "feedback for the row's hidden string, then ':': " + c);
                }
            }
        }
        assertFalse(played.isEmpty());

        JsonNode eval = JSON.readTree(run.resolve("eval.json").toFile());
        assertEquals(2, eval.get("prompts").asInt(), "the held-out file's two playable rows: " + eval);
        assertTrue(eval.get("turns_per_episode").asDouble() >= 1 && eval.get("turns_per_episode").asDouble() <= 2,
                "eval.json: " + eval);
        assertTrue(eval.get("mean_reward").isNumber(), "eval.json: " + eval);
    }
}
