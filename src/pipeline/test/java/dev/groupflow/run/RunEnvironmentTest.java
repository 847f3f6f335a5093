package dev.groupflow.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.agent.ChatTurnFormat;
import dev.groupflow.model.tokenizer.HfTokenizer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent run's turn format against the environment it plays (the real Qwen3 tokenizer and template): the built-in
 * game in chat mode is played through its tool, and its first observation as the template renders it must leave
 * room for a turn; both are refused before the run starts, naming the key to change.
 */
class RunEnvironmentTest {
    @TempDir
    static Path model;
    private static HfTokenizer qwen;

    @BeforeAll
    static void load() throws Exception {
        for (String f : List.of("tokenizer.json.gz", "tokenizer_config.json")) {
            try (InputStream in = RunEnvironmentTest.class.getResourceAsStream("/fixtures/qwen3-tokenizer/" + f)) {
                Files.copy(in, model.resolve(f));
            }
        }
        Files.writeString(model.resolve("config.json"), "{}");
        qwen = HfTokenizer.load(model, Set.of());
    }

    @AfterAll
    static void close() {
        qwen.close();
    }

    private static RunConfig.AgentSettings agent(String... sets) {
        List<String> all = new ArrayList<>(List.of("task.name=guess", "model.path=" + model));
        all.addAll(List.of(sets));
        return RunConfig.load(null, all).agent();
    }

    @Test
    void theBuiltInGameInChatModeNeedsRoomForItsRenderedFirstObservation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunEnvironment.format(
                agent("agent.max-tokens=64", "agent.max-turn-tokens=16"), qwen, true));
        assertTrue(e.getMessage().startsWith("agent.max-tokens = 64 leaves no room for a turn: the built-in game's "
                + "first chat observation is "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(raise agent.max-tokens)"), e.getMessage());
        assertTrue(RunEnvironment.format(agent("agent.max-tokens=1024", "agent.max-turn-tokens=16"), qwen, true)
                instanceof ChatTurnFormat);
        // another environment's first observation is its own: nothing to measure beforehand
        assertTrue(RunEnvironment.format(agent("agent.max-tokens=64", "agent.max-turn-tokens=16"), qwen, false)
                instanceof ChatTurnFormat);
    }

    @Test
    void theBuiltInGameInChatModeIsPlayedThroughItsTool() {
        RunConfig.AgentSettings plainCalls = agent("agent.max-tokens=1024", "agent.tool-call-format=plain");
        assertEquals(RunConfig.Turns.CHAT, plainCalls.turns());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunEnvironment.format(plainCalls, qwen, true));
        assertTrue(e.getMessage().startsWith("agent.tool-call-format = plain: the built-in guess game in chat mode "
                + "is played through its guess tool; use qwen"), e.getMessage());
        assertTrue(RunEnvironment.format(plainCalls, qwen, false) instanceof ChatTurnFormat,
                "an environment of the application may read the text itself");
    }
}
