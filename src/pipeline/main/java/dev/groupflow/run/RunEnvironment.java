package dev.groupflow.run;

import dev.groupflow.agent.ChatTurnFormat;
import dev.groupflow.agent.Environment;
import dev.groupflow.agent.EnvironmentCalls;
import dev.groupflow.agent.EpisodeStart;
import dev.groupflow.agent.GuessEnvironment;
import dev.groupflow.agent.HttpEnvironment;
import dev.groupflow.agent.JavaEnvironment;
import dev.groupflow.agent.PlainTurnFormat;
import dev.groupflow.agent.ToolCallFormat;
import dev.groupflow.agent.TurnFormat;
import dev.groupflow.data.Prompt;
import dev.groupflow.model.tokenizer.TextTokenizer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * An agent run's environment, owned by the run: the one an embedding application supplied
 * ({@code GrpoTraining.Builder.environment}), else an HTTP service ({@code agent.environment = http},
 * {@link HttpEnvironment}), else the built-in guess game ({@link GuessEnvironment}, in plain or chat mode as the
 * turn format) on a small thread pool of its own; either behind {@link EnvironmentCalls} (the {@code agent}
 * section's timeout, retries and backoff), with the turn format its episodes use: plain text, or the model's chat
 * template ({@link ChatTurnFormat}) with its tool-call format. The run closes the environment when it
 * ends, as it closes a supplied verifier.
 */
final class RunEnvironment implements AutoCloseable {
    private final ExecutorService games;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            RunVerifiers.daemon("environment-timers"));
    private final EnvironmentCalls calls;
    private final TurnFormat format;
    private final boolean builtIn;

    RunEnvironment(RunConfig.AgentSettings agent, TextTokenizer tokenizer, Map<String, Object> templateVariables,
                   Optional<Environment> supplied) {
        this.builtIn = supplied.isEmpty() && agent.http() == null;
        try {
            this.format = format(agent, tokenizer, builtIn, templateVariables);
        } catch (RuntimeException e) {
            timers.shutdownNow();
            throw e;
        }
        this.games = builtIn ? Executors.newFixedThreadPool(2, RunVerifiers.daemon("guess-environment")) : null;
        Environment environment = supplied.orElseGet(() -> agent.http() != null
                ? new HttpEnvironment(agent.http().url(), agent.http().transport(), timers)
                : new JavaEnvironment(new GuessEnvironment(agent.turns() == RunConfig.Turns.CHAT, agent.turnCost()),
                        games));
        this.calls = new EnvironmentCalls(environment, agent.timeout(), agent.retries(), agent.retryBackoff(), timers);
    }

    /**
     * The run's turn format ({@code agent.turn-format}, {@code agent.tool-call-format}), checked against the
     * built-in game when it is the environment: in chat mode it is played through its {@code guess} tool, and its
     * first observation, rendered by the model's template, must leave room for a turn within
     * {@code agent.max-tokens}.
     */
    static TurnFormat format(RunConfig.AgentSettings agent, TextTokenizer tokenizer, boolean builtIn) {
        return format(agent, tokenizer, builtIn, Map.of());
    }

    /** As {@link #format(RunConfig.AgentSettings, TextTokenizer, boolean)}, chat turns with template variables. */
    static TurnFormat format(RunConfig.AgentSettings agent, TextTokenizer tokenizer, boolean builtIn,
                             Map<String, Object> templateVariables) {
        ToolCallFormat toolCalls = agent.toolCalls() == RunConfig.ToolCalls.QWEN ? ToolCallFormat.QWEN
                : ToolCallFormat.PLAIN;
        if (agent.turns() == RunConfig.Turns.PLAIN) {
            return new PlainTurnFormat(tokenizer, toolCalls);
        }
        if (tokenizer.chatTemplate() == null) {
            throw new IllegalArgumentException("agent.turn-format = chat: the model's tokenizer has no chat template");
        }
        TurnFormat chat = new ChatTurnFormat(tokenizer, tokenizer.chatTemplate(), toolCalls, templateVariables,
                agent.systemPrompt());
        if (builtIn) {
            if (toolCalls == ToolCallFormat.PLAIN) {
                throw new IllegalArgumentException("agent.tool-call-format = plain: the built-in guess game in chat "
                        + "mode is played through its guess tool; use qwen (the model's template writes no "
                        + "<tool_call> blocks, so auto chose plain)");
            }
            String secret = "0".repeat(agent.maxLength());
            int first = chat.begin(new GuessEnvironment(true).start(new EpisodeStart("check",
                    Prompt.text("check", "", secret), 0)).first()).context().length;
            int needed = first + agent.limits().maxTurnTokens();
            if (agent.limits().maxTokens() < needed) {
                throw new IllegalArgumentException("agent.max-tokens = " + agent.limits().maxTokens() + " leaves no "
                        + "room for a turn: the built-in game's first chat observation is " + first + " tokens with "
                        + "this model's template, plus agent.max-turn-tokens = " + agent.limits().maxTurnTokens()
                        + " is " + needed + " (raise agent.max-tokens)");
            }
        }
        return chat;
    }

    EnvironmentCalls calls() {
        return calls;
    }

    TurnFormat format() {
        return format;
    }

    /** Whether the episodes are the built-in guess game's (its tasks need a digit-string answer). */
    boolean builtIn() {
        return builtIn;
    }

    @Override
    public void close() {
        calls.close();
        if (games != null) {
            games.shutdownNow();
        }
        timers.shutdownNow();
    }
}
