package dev.groupflow.run;

import dev.groupflow.agent.Environment;
import dev.groupflow.agent.EnvironmentCalls;
import dev.groupflow.agent.GuessEnvironment;
import dev.groupflow.agent.HttpEnvironment;
import dev.groupflow.agent.JavaEnvironment;
import dev.groupflow.agent.PlainTurnFormat;
import dev.groupflow.agent.ToolCallFormat;
import dev.groupflow.agent.TurnFormat;
import dev.groupflow.model.tokenizer.TextTokenizer;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;

/**
 * An agent run's environment, owned by the run: the one an embedding application supplied
 * ({@code GrpoTraining.Builder.environment}), else an HTTP service ({@code agent.environment = http},
 * {@link HttpEnvironment}), else the built-in guess game ({@link GuessEnvironment}, plain text) on a small thread
 * pool of its own; either behind {@link EnvironmentCalls} (the {@code agent} section's
 * timeout, retries and backoff), with the turn format its episodes use. The run closes the environment when it
 * ends, as it closes a supplied verifier.
 */
final class RunEnvironment implements AutoCloseable {
    private final ExecutorService games;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            daemon("environment-timers"));
    private final EnvironmentCalls calls;
    private final TurnFormat format;

    RunEnvironment(RunConfig.AgentSettings agent, TextTokenizer tokenizer, Optional<Environment> supplied) {
        this.games = supplied.isPresent() || agent.http() != null ? null : Executors.newFixedThreadPool(2, daemon("guess-environment"));
        Environment environment = supplied.orElseGet(() -> agent.http() != null
                ? new HttpEnvironment(agent.http().url(), agent.http().transport(), timers)
                : new JavaEnvironment(new GuessEnvironment(false, agent.turnCost()), games));
        this.calls = new EnvironmentCalls(environment, agent.timeout(), agent.retries(), agent.retryBackoff(), timers);
        this.format = new PlainTurnFormat(tokenizer, ToolCallFormat.PLAIN);
    }

    EnvironmentCalls calls() {
        return calls;
    }

    TurnFormat format() {
        return format;
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
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
