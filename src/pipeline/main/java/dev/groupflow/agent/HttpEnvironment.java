package dev.groupflow.agent;

import dev.groupflow.verify.JsonPost;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/**
 * An environment in another process or language, spoken to with the HTTP JSON protocol of docs/agents.md: POST
 * {@code BASE/start}, {@code BASE/step} and {@code BASE/end} ({@link EnvironmentJson} writes and reads the bodies).
 * The transport is the HTTP verifier's ({@link JsonPost}): bounded concurrency, a timeout per attempt, connection
 * errors and 5xx replies retried with backoff, 4xx replies, oversized or malformed replies failing at once, and a
 * circuit breaker. Every failure fails the stage ({@link EnvironmentFailure} or a timeout), so the episode ends
 * with an explicit outcome.
 */
public final class HttpEnvironment implements Environment {
    private final URI base;
    private final JsonPost post;

    /**
     * @param base the service's base URL ({@code http://host:port/path}); the endpoints are under it
     * @param settings transport limits ({@link JsonPost.Settings}; {@code configSection} names them in messages)
     */
    public HttpEnvironment(URI base, JsonPost.Settings settings, ScheduledExecutorService scheduler) {
        String s = base.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        this.post = new JsonPost(settings, scheduler, System::nanoTime);
    }

    @Override
    public CompletionStage<Observation> start(EpisodeStart start) {
        return post("start", () -> EnvironmentJson.start(start), EnvironmentJson::started);
    }

    @Override
    public CompletionStage<Transition> step(EpisodeStep step) {
        return post("step", () -> EnvironmentJson.step(step), EnvironmentJson::stepped);
    }

    @Override
    public CompletionStage<Void> end(String episodeId) {
        return post("end", () -> EnvironmentJson.end(episodeId), EnvironmentJson::ended).thenApply(ok -> null);
    }

    /** Writes a request body (as JSON). */
    private interface Body {
        byte[] write() throws IOException;
    }

    private <T> CompletionStage<T> post(String endpoint, Body body, Function<byte[], T> parse) {
        try {
            return post.post(base.resolve(endpoint), body.write(), parse);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new EnvironmentFailure("the request is not JSON: " + e, false));
        }
    }

    @Override
    public void close() {
        post.close("the HTTP environment was closed");
    }
}
