package dev.groupflow.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * POSTs JSON to an HTTP service and reads its JSON reply, for the HTTP verifier and HTTP agent environments. Nothing
 * blocks a thread: at most {@code concurrency} requests are in flight and the rest wait in a queue of futures
 * ({@link AsyncPermits}). Each attempt has its own timeout (a {@link TimeoutException}, not retried); connection
 * errors and 5xx replies are retried with exponential backoff; a 4xx reply, a body over {@code maxResponseBytes},
 * or a reply the caller's parser refuses fails at once (a {@link ServiceFailure} that is not retryable). A
 * {@link CircuitBreaker} fails calls fast while the service keeps failing. Messages name the URL and the
 * configuration section whose keys set the limits.
 */
public final class JsonPost {
    private static final ObjectMapper READER = new ObjectMapper();
    private final Settings settings;
    private final ScheduledExecutorService scheduler;
    private final AsyncPermits permits;
    private final CircuitBreaker breaker;
    private HttpClient client;

    /**
     * @param timeout time allowed for one attempt (connect, reply and body)
     * @param retries extra attempts after a connection error or a 5xx reply
     * @param backoff wait before the first retry (doubling each time)
     * @param concurrency most requests in flight at once
     * @param maxResponseBytes a larger reply body fails the call
     * @param breakerFailures consecutive failed attempts that open the breaker
     * @param breakerCoolDown how long the breaker stays open before a trial call
     * @param configSection where these settings are configured, for messages (e.g. {@code verifier.http})
     */
    public record Settings(Duration timeout, int retries, Duration backoff, int concurrency, int maxResponseBytes,
                           int breakerFailures, Duration breakerCoolDown, String configSection) {
    }

    public JsonPost(Settings settings, ScheduledExecutorService scheduler, LongSupplier nanoClock) {
        this.settings = settings;
        this.scheduler = scheduler;
        this.permits = new AsyncPermits(settings.concurrency());
        this.breaker = new CircuitBreaker(settings.breakerFailures(), settings.breakerCoolDown(), nanoClock);
    }

    private synchronized HttpClient client() {
        if (client == null) {
            client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(settings.timeout()).followRedirects(HttpClient.Redirect.NEVER).build();
        }
        return client;
    }

    CircuitBreaker.State breakerState() {
        return breaker.state();
    }

    /**
     * Posts {@code body} to {@code url} until an attempt succeeds or a failure is final.
     *
     * @param parse reads a 2xx reply's body; a {@link ServiceFailure} it throws fails the call at once
     * @return the parsed reply, or a failure: {@link TimeoutException} or {@link ServiceFailure}
     */
    public <T> CompletableFuture<T> post(URI url, byte[] body, Function<byte[], T> parse) {
        CompletableFuture<T> out = new CompletableFuture<>();
        attempt(url, body, parse, 1, out);
        return out;
    }

    private <T> void attempt(URI url, byte[] body, Function<byte[], T> parse, int n, CompletableFuture<T> out) {
        if (!breaker.allow()) {
            out.completeExceptionally(new ServiceFailure("circuit breaker open: " + url
                    + " failed repeatedly; next trial in " + breaker.millisUntilTrial() + " ms", false));
            return;
        }
        permits.acquire().thenCompose(held -> send(url, body, parse)).whenComplete((reply, error) -> {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause()
                    : error;
            if (cause == null) {
                breaker.success();
                out.complete(reply);
                return;
            }
            Failure f = classify(url, cause);
            if (f.countsAgainstService()) {
                breaker.failure();
            } else {
                breaker.success();
            }
            if (f.retry() && n <= settings.retries()) {
                long delay = settings.backoff().toNanos() << Math.min(20, n - 1);
                scheduler.schedule(() -> attempt(url, body, parse, n + 1, out), delay, TimeUnit.NANOSECONDS);
            } else if (f.timeout()) {
                out.completeExceptionally(new TimeoutException(f.message()));
            } else {
                out.completeExceptionally(new ServiceFailure(f.message() + (n > 1 ? " (after " + n
                        + " attempts)" : ""), false));
            }
        });
    }

    /** One attempt: holds a permit from the call until the exchange has ended, whatever happens. */
    private <T> CompletableFuture<T> send(URI url, byte[] body, Function<byte[], T> parse) {
        CappedBody[] reading = new CappedBody[1];
        HttpRequest request = HttpRequest.newBuilder(url).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        CompletableFuture<HttpResponse<byte[]>> exchange;
        try {
            exchange = client().sendAsync(request, info -> {
                CappedBody b = new CappedBody(settings.maxResponseBytes(), settings.configSection());
                synchronized (reading) {
                    reading[0] = b;
                }
                return b;
            });
        } catch (RuntimeException e) {
            permits.release();
            return CompletableFuture.failedFuture(e);
        }
        exchange.whenComplete((r, e) -> permits.release());
        // the request timeout covers the reply's headers; this one covers a body that trickles in too
        return exchange.copy().orTimeout(settings.timeout().toNanos(), TimeUnit.NANOSECONDS).handle((r, e) -> {
            if (e != null) {
                if (e instanceof TimeoutException) {
                    synchronized (reading) {
                        if (reading[0] != null) {
                            reading[0].cancel();
                        }
                    }
                }
                throw e instanceof CompletionException c ? c : new CompletionException(e);
            }
            int status = r.statusCode();
            if (status >= 200 && status < 300) {
                return parse.apply(r.body());
            }
            throw new CompletionException(new StatusFailure(status, preview(r.body())));
        });
    }

    /** A reply with a status other than 2xx. */
    static final class StatusFailure extends IOException {
        private static final long serialVersionUID = 1L;
        final int status;

        StatusFailure(int status, String body) {
            super("HTTP " + status + ": " + body);
            this.status = status;
        }
    }

    /**
     * @param retry worth another attempt
     * @param countsAgainstService counts towards opening the breaker
     * @param timeout ran past the attempt's deadline
     */
    private record Failure(String message, boolean retry, boolean countsAgainstService, boolean timeout) {
    }

    private Failure classify(URI url, Throwable t) {
        String where = url + ": ";
        if (t instanceof TimeoutException || t instanceof HttpTimeoutException) {
            return new Failure(where + "no reply within " + settings.timeout().toMillis()
                    + " ms (" + settings.configSection() + ".timeout)", false, true, true);
        }
        if (t instanceof StatusFailure s) {
            boolean server = s.status >= 500;
            return new Failure(where + s.getMessage(), server, server, false);
        }
        if (t instanceof CappedBody.TooLarge || t instanceof ServiceFailure) {
            return new Failure(where + t.getMessage(), false, true, false);
        }
        if (t instanceof IOException) {
            return new Failure(where + "connection failed: " + t, true, true, false);
        }
        return new Failure(where + t, false, true, false);
    }

    /**
     * A reply body as a JSON object, or the failure {@code bad} makes of what is wrong with it ("is not JSON", "is not
     * a JSON object"; the caller adds the body's preview).
     */
    public static JsonNode object(byte[] body, BiFunction<String, byte[], RuntimeException> bad) {
        JsonNode n;
        try {
            n = READER.readTree(body);
        } catch (IOException e) {
            throw bad.apply("is not JSON", body);
        }
        if (n == null || !n.isObject()) {
            throw bad.apply("is not a JSON object", body);
        }
        return n;
    }

    /** The start of a reply body, for messages: at most 200 characters, whitespace runs as one space, quoted. */
    public static String preview(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).replaceAll("\\s+", " ");
        return s.isEmpty() ? "(empty body)" : "'" + s + (body.length > 200 ? "...'" : "'");
    }

    /** Fails every call still waiting for a permit (when the owner closes). */
    public void close(String why) {
        permits.failWaiting(new ServiceFailure(why, false));
    }
}
