package dev.groupflow.metrics;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeOK;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractHost;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.pathSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The dashboard's routes. Requests must name this machine as their host (127.0.0.1, localhost, ::1), which keeps
 * other web sites out through DNS rebinding; actions (POST) sent by a browser from another origin are refused.
 */
final class DashboardRoutes {
    private static final Set<String> LOCAL_HOSTS = Set.of("127.0.0.1", "localhost", "::1", "[::1]");
    private static final String RESOURCES = "/dev/groupflow/metrics/";

    private final RunMonitor monitor;
    private final EventHub events;
    private final PrometheusExport prometheus;
    private final byte[] page = resource("dashboard.html");
    private final byte[] script = resource("dashboard.js");
    private final byte[] style = resource("dashboard.css");

    DashboardRoutes(RunMonitor monitor, EventHub events, PrometheusExport prometheus) {
        this.monitor = monitor;
        this.events = events;
        this.prometheus = prometheus;
    }

    Route route() {
        return extractHost(host -> !LOCAL_HOSTS.contains(host)
                ? complete(StatusCodes.FORBIDDEN, "the dashboard answers requests for 127.0.0.1 or localhost only")
                : concat(
                        pathSingleSlash(() -> get(() -> bytes(ContentTypes.TEXT_HTML_UTF8, page))),
                        path("dashboard.js", () -> get(() ->
                                bytes(ContentTypes.parse("text/javascript; charset=utf-8"), script))),
                        path("dashboard.css", () -> get(() ->
                                bytes(ContentTypes.parse("text/css; charset=utf-8"), style))),
                        path("events", () -> get(() -> completeOK(
                                events.subscribe(monitor::status, Duration.ofSeconds(1)),
                                EventStreamMarshalling.toEventStream()))),
                        path("metrics", () -> get(() -> bytes(ContentTypes.parse(PrometheusExport.CONTENT_TYPE),
                                prometheus.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8)))),
                        pathPrefix("api", this::api)));
    }

    private Route api() {
        return concat(
                path("status", () -> get(() -> json(StatusCodes.OK, monitor.status()))),
                path("metrics", () -> get(() -> parameterOptional("last", this::metrics))),
                path("completions", () -> get(() -> json(StatusCodes.OK, monitor.completions()))),
                path("pause", () -> action("pause", RunControl::pause)),
                path("resume", () -> action("resume", RunControl::resume)),
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

    private Route action(String name, Consumer<RunControl> act) {
        return post(() -> optionalHeaderValueByName("Origin", origin -> {
            if (origin.isPresent() && !localOrigin(origin.get())) {
                return json(StatusCodes.FORBIDDEN, Map.of("error", "actions from another origin are refused"));
            }
            RunControl control = monitor.control();
            Map<String, Object> reply = new LinkedHashMap<>();
            reply.put("action", name);
            if (monitor.phase() != RunMonitor.Phase.TRAINING) {
                reply.put("ok", false);
                reply.put("error", "the run is not training (" + monitor.phase().name().toLowerCase(Locale.ROOT) + ")");
                reply.put("paused", control.paused());
                return json(StatusCodes.CONFLICT, reply);
            }
            try {
                act.accept(control);
                reply.put("ok", true);
            } catch (RuntimeException e) {
                reply.put("ok", false);
                reply.put("error", String.valueOf(e.getMessage()));
            }
            reply.put("paused", control.paused());
            return json(Boolean.TRUE.equals(reply.get("ok")) ? StatusCodes.OK : StatusCodes.CONFLICT, reply);
        }));
    }

    private static boolean localOrigin(String origin) {
        try {
            String host = URI.create(origin).getHost();
            return host != null && LOCAL_HOSTS.contains(host);
        } catch (IllegalArgumentException e) {
            return false;
        }
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
