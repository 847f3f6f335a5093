package dev.groupflow.metrics;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeOK;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.pathSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The dashboard's routes. Every request passes {@link DashboardAccess#refusal} first (this machine's host names
 * only, no foreign {@code Origin}); the page, its assets and Prometheus {@code /metrics} need nothing more;
 * {@code /api/*} and {@code /events} need the run's token (401 without); actions are rate-limited (429 with
 * {@code Retry-After}) and a checkpoint asked for while one is pending is merged into it.
 */
final class DashboardRoutes {
    private static final String RESOURCES = "/dev/groupflow/metrics/";
    /** When a client refused for too many streams (503) may try again. */
    private static final long STREAMS_RETRY_SECONDS = 10;

    private final RunMonitor monitor;
    private final EventHub events;
    private final PrometheusExport prometheus;
    private final DashboardAccess access;
    private final ActionLimiter limiter;
    private final byte[] page = resource("dashboard.html");
    private final byte[] script = resource("dashboard.js");
    private final byte[] style = resource("dashboard.css");

    DashboardRoutes(RunMonitor monitor, EventHub events, PrometheusExport prometheus, DashboardAccess access,
                    ActionLimiter limiter) {
        this.monitor = monitor;
        this.events = events;
        this.prometheus = prometheus;
        this.access = access;
        this.limiter = limiter;
    }

    Route route() {
        return extractRequest(request -> {
            String refusal = DashboardAccess.refusal(request);
            if (refusal != null) {
                return closing(() -> complete(StatusCodes.FORBIDDEN, refusal));
            }
            return concat(
                    pathSingleSlash(() -> get(() -> bytes(ContentTypes.TEXT_HTML_UTF8, page))),
                    path("dashboard.js", () -> get(() ->
                            bytes(ContentTypes.parse("text/javascript; charset=utf-8"), script))),
                    path("dashboard.css", () -> get(() ->
                            bytes(ContentTypes.parse("text/css; charset=utf-8"), style))),
                    path("metrics", () -> get(() -> bytes(ContentTypes.parse(PrometheusExport.CONTENT_TYPE),
                            prometheus.scrape().getBytes(StandardCharsets.UTF_8)))),
                    path("events", () -> get(() -> withToken(request, this::events))),
                    pathPrefix("api", () -> withToken(request, this::api)));
        });
    }

    private Route withToken(HttpRequest request, Supplier<Route> inner) {
        if (access.authorized(request)) {
            return inner.get();
        }
        return closing(() -> json(StatusCodes.UNAUTHORIZED, Map.of("error", "missing or wrong token: open the "
                + "dashboard with the URL train printed (http://127.0.0.1:PORT/?token=...), or send the token as the "
                + "header " + DashboardAccess.HEADER)));
    }

    /**
     * A refusal that also closes the connection: refused clients do not keep connections open, of which the
     * server accepts a limited number (Pekko HTTP's {@code max-connections}, 1024).
     */
    private static Route closing(Supplier<Route> refusal) {
        return respondWithHeader(Connection.create("close"), refusal);
    }

    private Route events() {
        return events.subscribe(monitor::status, Duration.ofSeconds(1))
                .<Route>map(source -> completeOK(source, EventStreamMarshalling.toEventStream()))
                .orElseGet(() -> respondWithHeader(RetryAfter.create(STREAMS_RETRY_SECONDS), () -> closing(() ->
                        json(StatusCodes.SERVICE_UNAVAILABLE, Map.of("error", "too many event streams open ("
                                + "dashboard.max-event-streams); close a dashboard tab or raise the limit")))));
    }

    private Route api() {
        return concat(
                path("status", () -> get(() -> json(StatusCodes.OK, monitor.status()))),
                path("metrics", () -> get(() -> parameterOptional("last", this::metrics))),
                path("completions", () -> get(() -> json(StatusCodes.OK, monitor.completions()))),
                path("pause", () -> action("pause", c -> {
                    c.pause();
                    return true;
                })),
                path("resume", () -> action("resume", c -> {
                    c.resume();
                    return true;
                })),
                path("checkpoint", () -> action("checkpoint", RunControl::checkpointNow)));
    }

    private Route metrics(Optional<String> last) {
        int n;
        try {
            n = last.map(Integer::parseInt).orElse(Integer.MAX_VALUE);
        } catch (NumberFormatException e) {
            return json(StatusCodes.BAD_REQUEST, Map.of("error", "last must be a number of lines"));
        }
        return json(StatusCodes.OK, monitor.metrics(n));
    }

    /** @param act does the action; false when it was merged into one already pending */
    private Route action(String name, Predicate<RunControl> act) {
        return post(() -> {
            Map<String, Object> reply = new LinkedHashMap<>();
            reply.put("action", name);
            long wait = limiter.tryAcquire();
            if (wait > 0) {
                reply.put("ok", false);
                reply.put("error", "too many actions: at most " + limiter.perMinute() + " a minute "
                        + "(dashboard.actions-per-minute); retry in " + wait + " s");
                return respondWithHeader(RetryAfter.create(wait),
                        () -> json(StatusCodes.TOO_MANY_REQUESTS, reply));
            }
            RunControl control = monitor.control();
            if (monitor.phase() != RunMonitor.Phase.TRAINING) {
                reply.put("ok", false);
                reply.put("error", "the run is not training (" + monitor.phase().name().toLowerCase(Locale.ROOT) + ")");
                reply.put("paused", control.paused());
                return json(StatusCodes.CONFLICT, reply);
            }
            try {
                boolean fresh = act.test(control);
                reply.put("ok", true);
                if (!fresh) {
                    reply.put("merged", true);
                    reply.put("message", "a " + name + " is already pending; this request joins it");
                }
            } catch (RuntimeException e) {
                reply.put("ok", false);
                reply.put("error", String.valueOf(e.getMessage()));
            }
            reply.put("paused", control.paused());
            return json(Boolean.TRUE.equals(reply.get("ok")) ? StatusCodes.OK : StatusCodes.CONFLICT, reply);
        });
    }

    private static Route json(StatusCode status, Object body) {
        return complete(status, (ResponseEntity) HttpEntities.create(ContentTypes.APPLICATION_JSON, Json.write(body)));
    }

    private static Route bytes(ContentType type, byte[] body) {
        return complete((ResponseEntity) HttpEntities.create(type, body));
    }

    private static byte[] resource(String name) {
        try (InputStream in = DashboardRoutes.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCES + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
