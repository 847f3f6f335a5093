package dev.groupflow.agent;

import dev.groupflow.verify.RetryingCalls;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Calls an {@link Environment} the way verifiers are called ({@link RetryingCalls}): each start and step with a
 * timeout per attempt and retries with exponential backoff for failures that may pass; a timeout is not retried.
 * What could not be obtained becomes an explicit {@link EpisodeOutcome} ({@link #outcome}), never reward 0.
 * Ending an episode is one attempt whose failure is ignored (the episode's result no longer depends on it).
 */
public final class EnvironmentCalls implements AutoCloseable {
    private final Environment environment;
    private final RetryingCalls calls;
    private final Duration timeout;

    /**
     * @param timeout time allowed for one attempt of a start or a step
     * @param retries extra attempts after a retryable failure
     * @param backoff wait before the first retry (doubling each time)
     */
    public EnvironmentCalls(Environment environment, Duration timeout, int retries, Duration backoff,
                            ScheduledExecutorService scheduler) {
        this.environment = environment;
        this.calls = new RetryingCalls(timeout, retries, backoff, scheduler);
        this.timeout = timeout;
    }

    public CompletionStage<RetryingCalls.Result<Observation>> start(EpisodeStart start) {
        return calls.call(() -> environment.start(start),
                o -> o == null ? "the environment started episode " + start.episodeId() + " with no observation"
                        : null);
    }

    public CompletionStage<RetryingCalls.Result<Transition>> step(EpisodeStep step) {
        return calls.call(() -> environment.step(step),
                t -> t == null ? "the environment returned no transition for turn " + step.turn() : null);
    }

    /** Ends an episode; completes normally whatever the environment does (within the timeout). */
    public CompletionStage<Void> end(String episodeId) {
        CompletableFuture<Void> call;
        try {
            call = environment.end(episodeId).toCompletableFuture();
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        return call.copy().orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).handle((v, e) -> null);
    }

    /** The outcome of an episode whose call at {@code turn} (-1 = start) did not succeed. */
    public static EpisodeOutcome outcome(RetryingCalls.Result<?> result, int turn) {
        if (result instanceof RetryingCalls.TimedOut<?> t) {
            return new EpisodeOutcome.EnvironmentTimedOut(t.what(), turn);
        }
        if (result instanceof RetryingCalls.Failed<?> f) {
            return new EpisodeOutcome.EnvironmentFailed(f.problem()
                    + (f.attempts() > 1 ? " (" + f.attempts() + " attempts)" : ""), turn);
        }
        throw new IllegalArgumentException("the call succeeded: " + result);
    }

    @Override
    public void close() {
        environment.close();
    }
}
