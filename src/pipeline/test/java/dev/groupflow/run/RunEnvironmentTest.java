package dev.groupflow.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.agent.ChatTurnFormat;
import dev.groupflow.agent.EpisodeStart;
import dev.groupflow.agent.GuessEnvironment;
import dev.groupflow.agent.TurnFormat;
import dev.groupflow.config.ConfigProblems;
import dev.groupflow.data.Prompt;
import dev.groupflow.model.tokenizer.HfTokenizer;
import dev.groupflow.pipeline.PromptEncoder;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    /**
     * {@code data.chat-template-variables} reaches every rendering of the chat template: the training prompts and an
     * agent run's chat turns (Qwen3's {@code enable_thinking = false} closes an empty think block after the generation
     * prompt). Its keys are the user's own, so none is unknown; a misspelt section still is.
     */
    @Test
    void chatTemplateVariablesFromTheConfigurationReachPromptsAndChatTurns() {
        RunConfig plain = RunConfig.load(null, List.of("task.name=guess", "model.path=" + model,
                "agent.max-tokens=1024"));
        RunConfig noThinking = RunConfig.load(null, List.of("task.name=guess", "model.path=" + model,
                "agent.max-tokens=1024", "data.chat-template-variables.enable_thinking=false"));
        assertEquals(Map.of(), plain.data().chatTemplateVariables());
        assertEquals(Map.of("enable_thinking", false), noThinking.data().chatTemplateVariables());

        Prompt prompt = Prompt.text("p", "What is 2 + 2?", "4");
        String before = new PromptEncoder(qwen, "auto", 4096, false, plain.data().chatTemplateVariables())
                .render(prompt);
        String after = new PromptEncoder(qwen, "auto", 4096, false, noThinking.data().chatTemplateVariables())
                .render(prompt);
        String emptyThink = "<think>\n\n</think>\n\n";
        assertFalse(before.contains("<think>"), before);
        assertEquals(before + emptyThink, after);

        var first = new GuessEnvironment(true).start(new EpisodeStart("e", Prompt.text("t", "", "503"), 0)).first();
        TurnFormat.Transcript turnsBefore = RunEnvironment.format(plain.agent(), qwen, true,
                plain.data().chatTemplateVariables()).begin(first);
        TurnFormat.Transcript turnsAfter = RunEnvironment.format(noThinking.agent(), qwen, true,
                noThinking.data().chatTemplateVariables()).begin(first);
        String rendered = qwen.decode(turnsAfter.context(), false);
        assertTrue(rendered.endsWith(emptyThink), rendered);
        assertEquals(qwen.decode(turnsBefore.context(), false) + emptyThink, rendered);

        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of(
                "data.chat-template-variabels.enable_thinking=false")));
        assertTrue(e.problems().stream().anyMatch(p -> p.startsWith("unknown key 'data.chat-template-variabels.")),
                e.problems()::toString);
    }

    /**
     * {@code agent.system-prompt} opens every episode's chat as a system message, unless the environment's first
     * observation brings its own; plain turns have no system message, so it is a config problem there.
     */
    @Test
    void aSystemPromptOfTheRunOpensEveryChatUnlessTheEnvironmentBringsOne() {
        String prompt = "You are a careful player: read every mark.";
        RunConfig.AgentSettings with = agent("agent.max-tokens=1024", "agent.system-prompt=" + prompt);
        assertEquals(prompt, with.systemPrompt());
        var first = new GuessEnvironment(true).start(new EpisodeStart("e", Prompt.text("t", "", "503"), 0)).first();
        String rendered = qwen.decode(RunEnvironment.format(with, qwen, true).begin(first).context(), false);
        assertTrue(rendered.startsWith("<|im_start|>system\n" + prompt), rendered);
        String without = qwen.decode(RunEnvironment.format(agent("agent.max-tokens=1024"), qwen, true).begin(first)
                .context(), false);
        assertFalse(without.contains(prompt), without);
        assertTrue(rendered.endsWith(without.substring(without.indexOf("<|im_start|>user"))),
                "the rest of the chat as without it: " + rendered);

        var own = new dev.groupflow.agent.Observation(null, List.of(Map.of("role", "system", "content",
                "The environment's own rules."), Map.of("role", "user", "content", "Guess.")), null, "");
        String kept = qwen.decode(RunEnvironment.format(with, qwen, false).begin(own).context(), false);
        assertTrue(kept.startsWith("<|im_start|>system\nThe environment's own rules."), kept);
        assertFalse(kept.contains(prompt), kept);

        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of("task.name=guess",
                "agent.system-prompt=" + prompt)));
        assertTrue(e.problems().stream().anyMatch(p -> p.startsWith("agent.system-prompt: needs chat turns")),
                e.problems()::toString);
    }
}
