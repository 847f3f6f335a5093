package dev.groupflow.verify;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Calls an asynchronous service with a deadline per attempt and retries with exponential backoff, and says how it
 * went as a {@link Result}: a value the caller accepts is done; an exception or a value the caller rejects is a
 * failure, retried up to {@code retries} times unless it is a {@link ServiceFailure} that is not retryable; running
 * over {@code timeout}, or completing with a {@link TimeoutException} (the service's own deadline), is timed out
 * and not retried (a service that is too slow is usually overloaded, and a retry would add to its load). Nothing
 * here blocks a thread. Verifier calls ({@link VerifierCalls}) and agent environment calls share it.
 */
public final class RetryingCalls {
    private final Duration timeout;
    private final int retries;
    private final Duration backoff;
    private final ScheduledExecutorService scheduler;

    /** How a call ended, after {@code attempts} attempts and {@code millis} since the first began. */
    public sealed interface Result<T> permits Done, Failed, TimedOut {
        int attempts();

        double millis();
    }

    /** The service answered with an accepted value. */
    public record Done<T>(T value, int attempts, double millis) implements Result<T> {
    }

    /** Every attempt failed (or one failed that is not worth repeating): what went wrong last. */
    public record Failed<T>(String problem, int attempts, double millis) implements Result<T> {
    }

    /** An attempt ran past its deadline. */
    public record TimedOut<T>(String what, int attempts, double millis) implements Result<T> {
    }

    /**
     * @param timeout time allowed for one attempt
     * @param retries extra attempts after a retryable failure
     * @param backoff wait before the first retry (doubling each time)
     */
    public RetryingCalls(Duration timeout, int retries, Duration backoff, ScheduledExecutorService scheduler) {
        this.timeout = timeout;
        this.retries = retries;
        this.backoff = backoff;
        this.scheduler = scheduler;
    }

    /**
     * @param attempt starts one attempt (called again for each retry)
     * @param problem what is wrong with an answer, or null when it is acceptable (a problem is a retryable failure)
     */
    public <T> CompletionStage<Result<T>> call(Supplier<? extends CompletionStage<T>> attempt,
                                               Function<? super T, String> problem) {
        return attempt(attempt, problem, 1, System.nanoTime());
    }

    private <T> CompletionStage<Result<T>> attempt(Supplier<? extends CompletionStage<T>> attempt,
                                                   Function<? super T, String> problem, int n, long start) {
        CompletableFuture<T> call;
        try {
            call = attempt.get().toCompletableFuture();
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        // a copy, so the timeout never completes a future the service may share with other callers
        return call.copy().orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).handle((value, error) -> {
            double ms = (System.nanoTime() - start) / 1e6;
            Throwable cause = unwrap(error);
            if (cause instanceof TimeoutException) {
                // our own deadline has no message; a service's (an HTTP read timeout) says what it was
                String what = cause.getMessage() != null ? cause.getMessage()
                        : "no answer within " + timeout.toMillis() + " ms";
                return CompletableFuture.<Result<T>>completedFuture(new TimedOut<>(what, n, ms));
            }
            String wrong = cause != null ? describe(cause) : problem.apply(value);
            if (wrong == null) {
                return CompletableFuture.<Result<T>>completedFuture(new Done<>(value, n, ms));
            }
            if (n <= retries && !(cause instanceof ServiceFailure f && !f.retryable())) {
                long delay = backoff.toNanos() << Math.min(20, n - 1);
                CompletableFuture<Result<T>> next = new CompletableFuture<>();
                scheduler.schedule(() -> attempt(attempt, problem, n + 1, start).whenComplete((r, e) -> {
                    if (e != null) {
                        next.completeExceptionally(e);
                    } else {
                        next.complete(r);
                    }
                }), delay, TimeUnit.NANOSECONDS);
                return next;
            }
            return CompletableFuture.<Result<T>>completedFuture(new Failed<>(wrong, n, ms));
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
