package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.model.ModelConfig;
import dev.groupflow.model.tokenizer.HfTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code groupflow train --task agent --model DIR}: a Hugging Face policy (random weights over the real Qwen3
 * tokenizer and chat template) plays the built-in game in chat mode, its turns rendered by the template with the
 * guess tool, its tool calls parsed in Qwen's format and the malformed ones reported to the environment, trained end
 * to end through the streaming pipeline and evaluated on held-out tasks.
 */
class AgentChatTrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A Qwen3-layout policy over the real Qwen3 tokenizer (151,936 ids) that writes only a handful of tokens:
     * {@code <tool_call>}, {@code </tool_call>}, {@code <|im_end|>} and the digits 0-3 (its output layer is zero
     * except their rows, which are large and random), so its turns are malformed tool calls, digits and turn ends
     * that the tokenizer reads back exactly. As in Qwen3's base checkpoints, the tokenizer's end-of-sequence token
     * is {@code <|endoftext|>}: a turn ends at {@code <|im_end|>} only because the chat template closes an
     * assistant message with it.
     */
    static Path chatModel(Path dir) throws IOException {
        for (String f : List.of("tokenizer.json.gz", "tokenizer_config.json")) {
            try (InputStream in = AgentChatTrainTest.class.getResourceAsStream("/fixtures/qwen3-tokenizer/" + f)) {
                Files.copy(in, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        ObjectNode tokenizerConfig = (ObjectNode) JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        tokenizerConfig.put("eos_token", "<|endoftext|>");
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizerConfig);
        List<Integer> written = new ArrayList<>();
        try (HfTokenizer tokenizer = HfTokenizer.load(dir, Set.of())) {
            for (String token : List.of("<tool_call>", "</tool_call>", "<|im_end|>")) {
                written.add(tokenizer.tokenId(token));
            }
            for (String digit : List.of("0", "1", "2", "3")) {
                written.add(tokenizer.encode(digit)[0]);
            }
        }
        ModelConfig config = ModelConfig.of("qwen3", new ModelConfig.Size(151936, 32, 64, 2, 4, 2), d -> {
            d.headDim = 8;
            d.qkNorm = true;
            d.maxPositionEmbeddings = 1024;
            d.eosTokenIds = List.of(151643);
        });
        try (NDManager m = NDManager.newBaseManager(); CausalLm model = CausalLm.random(config, m, 11)) {
            Parameter head = model.parameters().values().stream()
                    .filter(p -> p.getArray().getShape().get(0) == 151936 && p.getName().contains("lm_head"))
                    .findFirst().orElseThrow();
            int hidden = config.hiddenSize();
            float[] rows = new float[151936 * hidden];
            Random random = new Random(5);
            for (int id : written) {
                for (int j = 0; j < hidden; j++) {
                    rows[id * hidden + j] = (float) (3 * random.nextGaussian());
                }
            }
            head.getArray().set(FloatBuffer.wrap(rows));
            HfCheckpoints.save(model, dir, HfCheckpoints.DEFAULT_MAX_SHARD_BYTES);
        }
        return dir;
    }

    /** The JSON lines of a run file ({@code metrics.jsonl}, {@code completions.jsonl}, ...). */
    static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(file)) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    @Test
    void aHuggingFacePolicyPlaysTheBuiltInGameInChatTurnsRenderedByItsTemplate(@TempDir Path tmp) throws Exception {
        Path model = chatModel(Files.createDirectories(tmp.resolve("model")));
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = SampleCommandTest.run("train", "--task", "agent", "--model", model.toString(),
                "--run-dir", run.toString(), "--no-dashboard", "--set", "deterministic=true",
                "--set", "train.steps=2", "--set", "train.batch-groups=2", "--set", "grpo.group-size=4",
                "--set", "pipeline.sampler-batch-prompts=2", "--set", "agent.max-turns=3",
                "--set", "agent.max-turn-tokens=12", "--set", "agent.max-tokens=900", "--set", "grpo.beta=0",
                "--set", "task.eval-prompts=2", "--set", "eval.samples=1", "--set", "log.every=1",
                "--set", "log.completions-every=1", "--set", "checkpoint.every=0", "--set", "model.device=cpu");
        assertEquals(0, r.code(), r.err());

        List<JsonNode> metrics = lines(run.resolve("metrics.jsonl"));
        assertEquals(2, metrics.size());
        for (JsonNode m : metrics) {
            assertEquals(8, m.get("episodes").asInt(), "B x G episodes per step: " + m);
            assertEquals(0, m.get("environment_failures").asInt(), "bad calls are answered, not failures: " + m);
            // only policy tokens are in the loss, whatever the template rendered around them
            assertEquals(m.get("policy_tokens_per_episode").asDouble() * 8, m.get("tokens").asDouble(), 1e-6,
                    "tokens in the loss = policy tokens: " + m);
            assertEquals(m.get("turns_per_episode").asDouble() * 8, m.get("turn_rows").asDouble(), 1e-6,
                    "one learner row per policy turn: " + m);
            long sampled = m.get("turns_sampled_total").asLong();
            assertTrue(sampled >= m.get("turns_per_episode").asDouble() * 8 - 1e-9, "turns sampled: " + m);
            assertTrue(m.get("turns_diverged_total").asLong() <= sampled, m.toString());
            assertTrue(m.get("turn_tokens_computed_total").asLong() > 0, m.toString());
        }

        int badCalls = 0;
        int continued = 0;
        for (JsonNode c : lines(run.resolve("completions.jsonl"))) {
            JsonNode turns = c.get("turns");
            assertTrue(turns.size() >= 1 && turns.size() <= 3, "a whole episode within max-turns: " + c);
            for (JsonNode turn : turns) {
                JsonNode observation = turn.get("observation");
                if (observation.isNull()) {
                    continue;
                }
                String seen = observation.asText();
                // every answer is rendered by the template: a user message (the game's hint: no guess call was
                // well-formed), then the generation prompt of the next assistant turn
                assertTrue(seen.endsWith("<|im_end|>\n<|im_start|>assistant\n"), "template-rendered: " + turn);
                assertTrue(seen.contains("<|im_start|>user\nCall the guess tool with 4 digits."), "the hint: " + turn);
                if (turn.has("tool_call_errors")) {
                    badCalls++;
                    String error = turn.get("tool_call_errors").get(0).asText();
                    assertTrue(error.startsWith("tool call 1 "), "a malformed call is reported: " + turn);
                    assertTrue(seen.contains(error), "the environment's answer names the error: " + turn);
                }
                // the template wrote the turn back exactly as generated, closed by the <|im_end|> that ended it:
                // the context only grew, so the episode's KV cache was extended
                if (seen.startsWith("\n<|im_start|>user\n")) {
                    continued++;
                }
            }
        }
        assertTrue(badCalls > 0, "malformed tool calls were reported to the environment");
        assertTrue(continued > 0, "turns ended at the template's end-of-turn token and their contexts continued");
        JsonNode lastStep = metrics.get(metrics.size() - 1);
        assertTrue(lastStep.get("turn_tokens_reused_total").asLong() > 0, "continued turns reused the cache: "
                + lastStep);

        JsonNode eval = JSON.readTree(run.resolve("eval.json").toFile());
        assertTrue(eval.get("mean_reward").isNumber(), "eval.json: " + eval);
        assertTrue(eval.get("success_rate").isNumber(), "eval.json: " + eval);
        assertEquals(2, eval.get("prompts").asInt(), "eval.json: " + eval);
        assertFalse(eval.get("outcomes").has("environment_failed"), "eval.json: " + eval);
    }
}
