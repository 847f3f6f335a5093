package dev.groupflow.verify;

import dev.groupflow.config.SectionReader;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Scores through an external service: POSTs {@code {prompt, completion, answer, metadata, completion_tokens?}} as
 * JSON to a URL and reads {@code {"reward", "components"?, "details"?}} ({@link HttpReply}). Nothing blocks a
 * thread: at most {@code concurrency} requests are in flight and the rest wait in a queue of futures
 * ({@link AsyncPermits}). Each attempt has its own timeout (a timed-out outcome, not retried); connection errors
 * and 5xx replies are retried with exponential backoff; a 4xx reply, a body over {@code maxResponseBytes}, or a
 * reply that is not the expected JSON fails at once. A {@link CircuitBreaker} fails calls fast while the service
 * keeps failing. Every failure completes the stage exceptionally (a failed outcome), never with reward 0.
 */
public final class HttpVerifier implements Verifier {
    private final Settings settings;
    private final ScheduledExecutorService scheduler;
    private final AsyncPermits permits;
    private final CircuitBreaker breaker;
    private HttpClient client;

    /**
     * @param url the service's endpoint
     * @param timeout time allowed for one attempt (connect, reply and body)
     * @param retries extra attempts after a connection error or a 5xx reply
     * @param backoff wait before the first retry (doubling each time)
     * @param concurrency most requests in flight at once
     * @param maxResponseBytes a larger reply body fails the call
     * @param breakerFailures consecutive failed attempts that open the breaker
     * @param breakerCoolDown how long the breaker stays open before a trial call
     */
    public record Settings(URI url, Duration timeout, int retries, Duration backoff, int concurrency,
                           int maxResponseBytes, int breakerFailures, Duration breakerCoolDown) {
        public static Settings read(SectionReader r) {
            String url = r.nullableString("url");
            URI uri = URI.create("http://127.0.0.1/");
            if (url == null) {
                r.problem("url", "set the URL of the scoring service (http://host:port/path)");
            } else {
                try {
                    uri = new URI(url);
                    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                        r.problem("url", "'" + url + "' is not an http:// or https:// URL with a host");
                    }
                } catch (URISyntaxException e) {
                    r.problem("url", "'" + url + "' is not a URL: " + e.getReason());
                }
            }
            SectionReader b = r.section("breaker");
            return new Settings(uri, r.positiveDuration("timeout"), r.atLeast("retries", 0),
                    r.positiveDuration("retry-backoff"), r.atLeast("concurrency", 1),
                    r.atLeast("max-response-bytes", 1), b.atLeast("failures", 1), b.positiveDuration("cool-down"));
        }
    }

    public HttpVerifier(Settings settings, ScheduledExecutorService scheduler) {
        this(settings, scheduler, System::nanoTime);
    }

    HttpVerifier(Settings settings, ScheduledExecutorService scheduler, LongSupplier clock) {
        this.settings = settings;
        this.scheduler = scheduler;
        this.permits = new AsyncPermits(settings.concurrency());
        this.breaker = new CircuitBreaker(settings.breakerFailures(), settings.breakerCoolDown(), clock);
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

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        byte[] body;
        try {
            body = HttpReply.request(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(VerifierFailure.permanent("the request is not JSON: " + e));
        }
        CompletableFuture<Reward> out = new CompletableFuture<>();
        attempt(body, 1, out);
        return out;
    }

    private void attempt(byte[] body, int n, CompletableFuture<Reward> out) {
        if (!breaker.allow()) {
            out.completeExceptionally(VerifierFailure.permanent("circuit breaker open: " + settings.url()
                    + " failed repeatedly; next trial in " + breaker.millisUntilTrial() + " ms"));
            return;
        }
        permits.acquire().thenCompose(held -> send(body)).whenComplete((reward, error) -> {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause == null) {
                breaker.success();
                out.complete(reward);
                return;
            }
            Failure f = classify(cause);
            if (f.countsAgainstService()) {
                breaker.failure();
            } else {
                breaker.success();
            }
            if (f.retry() && n <= settings.retries()) {
                long delay = settings.backoff().toNanos() << Math.min(20, n - 1);
                scheduler.schedule(() -> attempt(body, n + 1, out), delay, TimeUnit.NANOSECONDS);
            } else if (f.timeout()) {
                out.completeExceptionally(new TimeoutException(f.message()));
            } else {
                out.completeExceptionally(VerifierFailure.permanent(f.message() + (n > 1 ? " (after " + n
                        + " attempts)" : "")));
            }
        });
    }

    /** One attempt: holds a permit from the call until the exchange has ended, whatever happens. */
    private CompletableFuture<Reward> send(byte[] body) {
        CappedBody[] reading = new CappedBody[1];
        HttpRequest request = HttpRequest.newBuilder(settings.url()).timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        CompletableFuture<HttpResponse<byte[]>> exchange;
        try {
            exchange = client().sendAsync(request, info -> {
                CappedBody b = new CappedBody(settings.maxResponseBytes());
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
                return HttpReply.parse(r.body());
            }
            throw new CompletionException(new StatusFailure(status, HttpReply.preview(r.body())));
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

    private Failure classify(Throwable t) {
        String where = settings.url() + ": ";
        if (t instanceof TimeoutException || t instanceof HttpTimeoutException) {
            return new Failure(where + "no reply within " + settings.timeout().toMillis()
                    + " ms (verifier.http.timeout)", false, true, true);
        }
        if (t instanceof StatusFailure s) {
            boolean server = s.status >= 500;
            return new Failure(where + s.getMessage(), server, server, false);
        }
        if (t instanceof CappedBody.TooLarge) {
            return new Failure(where + t.getMessage(), false, true, false);
        }
        if (t instanceof VerifierFailure) {
            return new Failure(where + t.getMessage(), false, true, false);
        }
        if (t instanceof IOException) {
            return new Failure(where + "connection failed: " + t, true, true, false);
        }
        return new Failure(where + t, false, true, false);
    }

    @Override
    public void close() {
        permits.failWaiting(VerifierFailure.permanent("the HTTP verifier was closed"));
    }
}
