package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.agent.GuessTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code groupflow train --task agent}: the built-in multi-turn task trained end to end through the streaming
 * pipeline (real actors, a real tiny policy, the guess environment behind its calls), and its configuration checked
 * with every other problem before anything starts.
 */
class AgentTrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<JsonNode> lines(Path file) throws Exception {
        return Files.readAllLines(file).stream().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new IllegalStateException(file + ": " + l, e);
            }
        }).toList();
    }

    @Test
    void episodesTrainEndToEndAndEndWithAHeldOutEvaluation(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = SampleCommandTest.run("train", "--task", "agent", "--run-dir", run.toString(),
                "--set", "train.steps=4", "--set", "train.batch-groups=4", "--set", "grpo.group-size=4",
                "--set", "pipeline.sampler-batch-prompts=2", "--set", "agent.max-turns=3",
                "--set", "agent.max-turn-tokens=4", "--set", "task.eval-prompts=8", "--set", "log.every=1",
                "--set", "log.completions-every=1", "--set", "model.device=cpu", "--no-dashboard");
        assertEquals(0, r.code(), r.err());

        JsonNode eval = JSON.readTree(run.resolve("eval.json").toFile());
        assertTrue(eval.get("mean_reward").isNumber(), "eval.json: " + eval);
        assertTrue(eval.get("success_rate").isNumber(), "eval.json: " + eval);
        // held-out tasks are distinct secrets: the default game (4 digits of 0-2) holds out about 20% of its 81
        GuessTask game = new GuessTask(4, 4, 3, 0, true);
        Set<String> heldOut = new HashSet<>();
        for (int s = 0; s < 81; s++) {
            String secret = "" + s / 27 + s / 9 % 3 + s / 3 % 3 + s % 3;
            if (game.isHeldOut(secret)) {
                heldOut.add(secret);
            }
        }
        assertTrue(heldOut.size() > 8, "the default game's held-out split: " + heldOut);
        assertEquals(8, eval.get("prompts").asInt(), "task.eval-prompts distinct held-out secrets: " + eval);
        double turns = eval.get("turns_per_episode").asDouble();
        assertTrue(turns >= 1 && turns <= 3, "held-out episodes respect max-turns: " + eval);
        // each held-out episode turn by turn, once per secret, its outcome and return as in eval.json
        List<JsonNode> played = lines(run.resolve("eval_episodes.jsonl"));
        assertEquals(8, played.size());
        Set<String> answers = new HashSet<>();
        int solved = 0;
        for (JsonNode e : played) {
            assertEquals(4, e.get("step").asInt(), "the final evaluation's step: " + e);
            answers.add(e.get("answer").asText());
            assertTrue(e.get("turns").size() >= 1 && e.get("turns").size() <= 3, "turns: " + e);
            JsonNode last = e.get("turns").get(e.get("turns").size() - 1);
            boolean finished = e.get("outcome").asText().equals("finished");
            solved += finished ? 1 : 0;
            assertEquals(finished, last.get("action").asText().equals(e.get("answer").asText()),
                    "finished exactly when the last guess is the secret: " + e);
            assertFalse(last.has("advantage"), "held-out turns are not trained: " + e);
        }
        assertEquals(8, answers.size(), "distinct secrets: " + answers);
        assertTrue(heldOut.containsAll(answers), "only held-out secrets: " + answers);
        assertEquals(eval.get("success_rate").asDouble(), (double) solved / played.size(), 1e-9);

        List<JsonNode> metrics = lines(run.resolve("metrics.jsonl"));
        assertEquals(4, metrics.size());
        for (JsonNode m : metrics) {
            assertEquals(16, m.get("episodes").asInt(), "B x G episodes per step: " + m);
            for (String key : List.of("success_rate", "turns_per_episode", "environment_failures",
                    "episodes/finished", "episodes/max_turns", "episode_return_mean")) {
                assertTrue(m.has(key), key + " in " + m);
            }
            int byOutcome = 0;
            for (String outcome : List.of("finished", "max_turns", "max_tokens", "environment_failed",
                    "environment_timed_out")) {
                byOutcome += m.get("episodes/" + outcome).asInt();
            }
            assertEquals(16, byOutcome, "every episode has an explicit outcome: " + m);
            // only policy tokens are in the loss: the learner's tokens are exactly the episodes' policy tokens
            assertEquals(m.get("policy_tokens_per_episode").asDouble() * 16, m.get("tokens").asDouble(), 1e-6,
                    "tokens in the loss = policy tokens: " + m);
            assertEquals(m.get("turns_per_episode").asDouble() * 16, m.get("turn_rows").asDouble(), 1e-6,
                    "one learner row per policy turn: " + m);
            // plain turns only append to the context: every turn after an episode's first continues its KV cache
            assertEquals(0, m.get("turns_diverged_total").asLong(), "plain turns never diverge: " + m);
            assertTrue(m.get("turns_sampled_total").asLong() >= m.get("turns_per_episode").asDouble() * 16 - 1e-9,
                    "at least the trained turns were sampled: " + m);
            assertTrue(m.get("turn_tokens_reused_total").asLong() > 0 && m.get("turn_tokens_computed_total")
                    .asLong() > 0, "later turns reuse the cache, each computes its answer: " + m);
            // every group's first steps share the start state, so at least those are in a step group
            double shared = m.get("step_groups_shared").asDouble();
            assertTrue(shared >= 1 / m.get("turns_per_episode").asDouble() - 1e-9 && shared <= 1,
                    "steps sharing a state: " + m);
        }

        List<JsonNode> completions = lines(run.resolve("completions.jsonl"));
        assertEquals(4 * 4, completions.size(), "one group of whole episodes per step");
        Set<String> outcomes = new HashSet<>();
        for (JsonNode c : completions) {
            outcomes.add(c.get("outcome").asText());
            JsonNode turnsOf = c.get("turns");
            assertTrue(turnsOf.size() >= 1 && turnsOf.size() <= 3, "whole episode, within max-turns: " + c);
            for (int t = 0; t < turnsOf.size(); t++) {
                JsonNode turn = turnsOf.get(t);
                assertEquals(t, turn.get("turn").asInt());
                assertTrue(turn.get("action").asText().length() <= 4, "max-turn-tokens: " + turn);
                assertTrue(turn.has("reward") && turn.has("state_key") && turn.get("advantage").isNumber(),
                        "turn " + turn);
                boolean last = t == turnsOf.size() - 1;
                assertEquals(last, turn.get("observation").isNull(), "each answered turn keeps its observation");
            }
        }
        assertTrue(outcomes.contains("max_turns"), "truncation is an explicit outcome: " + outcomes);
    }

    @Test
    void agentConfigProblemsAreReportedWithTheOthers(@TempDir Path tmp) {
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = SampleCommandTest.run("train", "--task", "agent", "--run-dir", run.toString(),
                "--set", "agent.max-turn-tokens=1", "--set", "agent.estimator=ppo", "--set", "agent.gigpo.gamma=2",
                "--set", "pipeline.mode=lockstep", "--set", "grpo.group-size=1");
        assertEquals(2, r.code(), r.err());
        for (String expected : List.of("agent.max-turn-tokens: a guess needs agent.guess.max-length digits: at least 4, got 1",
                "agent.estimator", "agent.gigpo.gamma: must be in [0, 1]",
                "pipeline.mode: task.name = guess (episodes) runs in streaming mode only",
                "grpo.group-size: must be >= 2")) {
            assertTrue(r.err().contains(expected), expected + " in " + r.err());
        }
        assertFalse(Files.exists(run), "nothing was started");
        SampleCommandTest.Run unknown = SampleCommandTest.run("train", "--task", "chess", "--run-dir",
                run.toString());
        assertEquals(2, unknown.code(), unknown.err());
        assertTrue(unknown.err().contains("--task: 'chess' is not one of digits, agent"), unknown.err());
    }
}
