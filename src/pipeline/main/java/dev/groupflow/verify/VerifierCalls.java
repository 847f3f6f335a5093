package dev.groupflow.verify;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls a verifier with a timeout per call and retries with exponential backoff, and turns whatever happens into
 * an {@link Outcome}: a finite reward is scored; an exception, a null or a non-finite reward is a failure (retried
 * up to {@code retries} times, except a {@link VerifierFailure} that is not retryable); running over
 * {@code timeout}, or completing with a {@link TimeoutException} (a verifier's own deadline), is a timed-out outcome
 * (not retried: a verifier that is too slow is usually overloaded, and a retry would add to its load). Nothing here
 * blocks a thread.
 */
public final class VerifierCalls {
    private final Verifier verifier;
    private final Duration timeout;
    private final int retries;
    private final Duration backoff;
    private final ScheduledExecutorService scheduler;

    public VerifierCalls(Verifier verifier, Duration timeout, int retries, Duration backoff,
                         ScheduledExecutorService scheduler) {
        this.verifier = verifier;
        this.timeout = timeout;
        this.retries = retries;
        this.backoff = backoff;
        this.scheduler = scheduler;
    }

    public CompletionStage<Outcome> call(VerifyRequest request) {
        long start = System.nanoTime();
        return attempt(request, 1, start);
    }

    private CompletionStage<Outcome> attempt(VerifyRequest request, int n, long start) {
        CompletableFuture<Reward> call;
        try {
            call = verifier.score(request).toCompletableFuture();
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        // a copy, so the timeout never completes a future the verifier may share with other callers
        return call.copy().orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).handle((reward, error) -> {
            double ms = (System.nanoTime() - start) / 1e6;
            Throwable cause = unwrap(error);
            if (cause instanceof TimeoutException) {
                // the pipeline's own deadline has no message; a verifier's (an HTTP read timeout) says what it was
                String what = cause.getMessage() != null ? cause.getMessage()
                        : "no answer within " + timeout.toMillis() + " ms";
                return CompletableFuture.<Outcome>completedFuture(new Outcome.TimedOut(what, n, ms));
            }
            String problem = cause != null ? describe(cause)
                    : reward == null ? "the verifier returned no reward"
                    : !Double.isFinite(reward.value()) ? "non-finite reward " + reward.value() : null;
            if (problem == null) {
                return CompletableFuture.<Outcome>completedFuture(new Outcome.Scored(reward.value(),
                        reward.components(), reward.details(), n, ms));
            }
            if (n <= retries && !(cause instanceof VerifierFailure f && !f.retryable())) {
                long delay = backoff.toNanos() << Math.min(20, n - 1);
                CompletableFuture<Outcome> next = new CompletableFuture<>();
                scheduler.schedule(() -> attempt(request, n + 1, start).whenComplete((o, e) -> {
                    if (e != null) {
                        next.completeExceptionally(e);
                    } else {
                        next.complete(o);
                    }
                }), delay, TimeUnit.NANOSECONDS);
                return next;
            }
            return CompletableFuture.<Outcome>completedFuture(new Outcome.Failed(problem, n, ms));
        }).thenCompose(stage -> stage);
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
