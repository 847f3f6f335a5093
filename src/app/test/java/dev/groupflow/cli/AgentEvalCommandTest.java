package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code groupflow eval --task agent}: a checkpoint of an agent run, played on the run's own held-out tasks (its
 * {@code run.conf} brings the seed, hence the held-out split, and the limits), gives exactly the held-out result the
 * run ended with (the same weights, greedy, in lockstep), episode for episode.
 */
class AgentEvalCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aCheckpointOfAnAgentRunIsEvaluatedExactlyAsTheRunEnded(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        SampleCommandTest.Run train = SampleCommandTest.run("train", "--task", "agent", "--run-dir", run.toString(),
                "--set", "seed=3", "--set", "train.steps=4", "--set", "train.batch-groups=4",
                "--set", "grpo.group-size=4", "--set", "pipeline.sampler-batch-prompts=2",
                "--set", "task.eval-prompts=6", "--set", "model.device=cpu", "--no-dashboard");
        assertEquals(0, train.code(), train.err());
        Path checkpoint = run.resolve("checkpoints").resolve("step-4");
        assertTrue(Files.isRegularFile(checkpoint.resolve("run.conf")), "the final checkpoint holds the run's config");

        Path episodes = tmp.resolve("episodes.jsonl");
        SampleCommandTest.Run eval = SampleCommandTest.run("eval", "--task", "agent", "--model", checkpoint.toString(),
                "--episodes", episodes.toString());
        assertEquals(0, eval.code(), eval.err());
        JsonNode result = JSON.readTree(eval.out().strip());
        JsonNode ended = JSON.readTree(run.resolve("eval.json").toFile());
        for (String key : List.of("mean_reward", "success_rate", "turns_per_episode", "prompts", "samples_per_prompt",
                "outcomes")) {
            assertEquals(ended.get(key), result.get(key), key + ": " + result + " against the run's " + ended);
        }
        assertEquals(checkpoint.resolve("run.conf").toString(), result.get("config").asText());
        assertTrue(eval.err().contains("success " + String.format("%.3f", ended.get("success_rate").asDouble())),
                eval.err());

        List<JsonNode> played = AgentChatTrainTest.lines(episodes);
        List<JsonNode> heldOut = AgentChatTrainTest.lines(run.resolve("eval_episodes.jsonl"));
        assertEquals(6, played.size(), "task.eval-prompts distinct held-out tasks, once each");
        assertEquals(heldOut.size(), played.size());
        for (int i = 0; i < played.size(); i++) {
            ObjectNode expected = ((ObjectNode) heldOut.get(i)).deepCopy();
            expected.remove("step");
            assertEquals(expected, played.get(i), "episode " + i + " turn by turn");
        }
    }

    @Test
    void usageErrorsNameWhatIsMissing(@TempDir Path tmp) {
        SampleCommandTest.Run missing = SampleCommandTest.run("eval", "--model", tmp.toString());
        assertEquals(2, missing.code(), missing.err());
        assertTrue(missing.err().contains("Missing required options: --prompts and --verifier (or --task agent)"),
                missing.err());
        SampleCommandTest.Run verifier = SampleCommandTest.run("eval", "--task", "agent", "--model", tmp.toString(),
                "--verifier", "math");
        assertEquals(2, verifier.code(), verifier.err());
        assertTrue(verifier.err().contains("an agent's episodes are scored by their environment"), verifier.err());
        SampleCommandTest.Run task = SampleCommandTest.run("eval", "--task", "maze", "--model", tmp.toString());
        assertEquals(2, task.code(), task.err());
        assertTrue(task.err().contains("--task: 'maze' is not 'agent'"), task.err());
    }
}
