package dev.groupflow.verify;

import dev.groupflow.config.SectionReader;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * Scores through an external service: POSTs {@code {prompt, completion, answer, metadata, completion_tokens?}} as
 * JSON to a URL and reads {@code {"reward", "components"?, "details"?}} ({@link HttpReply}), through
 * {@link JsonPost}: at most {@code concurrency} requests in flight, a timeout per attempt (a timed-out outcome,
 * not retried), connection errors and 5xx replies retried with exponential backoff, a 4xx reply, a body over
 * {@code maxResponseBytes} or a reply that is not the expected JSON failing at once, and a circuit breaker that
 * fails calls fast while the service keeps failing. Every failure completes the stage exceptionally (a failed
 * outcome), never with reward 0.
 */
public final class HttpVerifier implements Verifier {
    private final URI url;
    private final JsonPost post;

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
            URI uri = url(r, "scoring service");
            SectionReader b = r.section("breaker");
            return new Settings(uri, r.positiveDuration("timeout"), r.atLeast("retries", 0),
                    r.positiveDuration("retry-backoff"), r.atLeast("concurrency", 1),
                    r.atLeast("max-response-bytes", 1), b.atLeast("failures", 1), b.positiveDuration("cool-down"));
        }

        /**
         * The section's {@code url}: required, http:// or https:// with a host; a problem naming the key otherwise
         * (and a placeholder returned, so every other problem is still reported).
         *
         * @param service what the URL points at, for the message ("scoring service")
         */
        public static URI url(SectionReader r, String service) {
            String url = r.nullableString("url");
            URI uri = URI.create("http://127.0.0.1/");
            if (url == null) {
                r.problem("url", "set the URL of the " + service + " (http://host:port/path)");
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
            return uri;
        }
    }

    public HttpVerifier(Settings settings, ScheduledExecutorService scheduler) {
        this(settings, scheduler, System::nanoTime);
    }

    HttpVerifier(Settings settings, ScheduledExecutorService scheduler, LongSupplier clock) {
        this.url = settings.url();
        this.post = new JsonPost(new JsonPost.Settings(settings.timeout(), settings.retries(), settings.backoff(),
                settings.concurrency(), settings.maxResponseBytes(), settings.breakerFailures(),
                settings.breakerCoolDown(), "verifier.http"), scheduler, clock);
    }

    CircuitBreaker.State breakerState() {
        return post.breakerState();
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        byte[] body;
        try {
            body = HttpReply.request(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(VerifierFailure.permanent("the request is not JSON: " + e));
        }
        return post.post(url, body, HttpReply::parse);
    }

    @Override
    public void close() {
        post.close("the HTTP verifier was closed");
    }
}
