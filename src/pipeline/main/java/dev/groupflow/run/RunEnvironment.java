package dev.groupflow.run;

import dev.groupflow.agent.EnvironmentCalls;
import dev.groupflow.agent.GuessEnvironment;
import dev.groupflow.agent.JavaEnvironment;
import dev.groupflow.agent.PlainTurnFormat;
import dev.groupflow.agent.ToolCallFormat;
import dev.groupflow.agent.TurnFormat;
import dev.groupflow.model.tokenizer.TextTokenizer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;

/**
 * An agent run's environment, owned by the run: the built-in guess game ({@link GuessEnvironment}, plain text) on a
 * small thread pool of its own, behind {@link EnvironmentCalls} (the {@code agent} section's timeout, retries and
 * backoff), and the turn format its episodes use.
 */
final class RunEnvironment implements AutoCloseable {
    private final ExecutorService games = Executors.newFixedThreadPool(2, daemon("guess-environment"));
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            daemon("environment-timers"));
    private final EnvironmentCalls calls;
    private final TurnFormat format;

    RunEnvironment(RunConfig.AgentSettings agent, TextTokenizer tokenizer) {
        this.calls = new EnvironmentCalls(new JavaEnvironment(new GuessEnvironment(false), games), agent.timeout(),
                agent.retries(), agent.retryBackoff(), timers);
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
        games.shutdownNow();
        timers.shutdownNow();
    }
}
