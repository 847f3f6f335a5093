package dev.groupflow.metrics;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live dashboard of a training run (docs/dashboard.md): a Pekko HTTP server on 127.0.0.1 serving the page
 * ({@code GET /}), server-sent events ({@code /events}), a JSON API ({@code /api/status}, {@code /api/metrics},
 * {@code /api/completions}), the buttons' actions ({@code POST /api/pause}, {@code /api/resume},
 * {@code /api/checkpoint}) and Prometheus {@code /metrics}, all from a {@link RunMonitor}. The API and the
 * events need the run's {@link DashboardToken}, which {@link #pageUrl} carries (see {@link DashboardAccess}).
 *
 * <p>It runs in an actor system of its own: the streaming run's system stops the moment training ends (its
 * guardian stops), lockstep runs have none, and the dashboard should stay up through the final evaluation.
 * {@link #close} ends the event streams, unbinds and stops that system.
 */
public final class Dashboard implements AutoCloseable {
    /** The address it binds to; never another interface. */
    public static final String HOST = "127.0.0.1";

    private static final Logger LOG = LoggerFactory.getLogger(Dashboard.class);

    private final ActorSystem<Void> system;
    private final EventHub events;
    private final ServerBinding binding;
    private final DashboardToken token;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Dashboard(ActorSystem<Void> system, EventHub events, ServerBinding binding, DashboardToken token) {
        this.system = system;
        this.events = events;
        this.binding = binding;
        this.token = token;
    }

    /**
     * Binds 127.0.0.1:{@code settings.port()} (0: any free port) and serves {@code monitor}; returns once bound.
     * Only {@code port}, {@code maxEventStreams} and {@code actionsPerMinute} of the settings are used.
     *
     * @param token the secret the API and the events require ({@link DashboardToken#random()} unless the
     *              embedding application or {@link DashboardToken#ENV} fixes one)
     * @throws IllegalStateException when the port cannot be bound (in use, not permitted)
     */
    public static Dashboard start(RunMonitor monitor, DashboardSettings settings, DashboardToken token) {
        int port = settings.port();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "groupflow-dashboard");
        try {
            EventHub events = new EventHub(Materializer.matFromSystem(system), settings.maxEventStreams());
            PrometheusExport prometheus = new PrometheusExport(monitor);
            DashboardRoutes routes = new DashboardRoutes(monitor, events, prometheus, new DashboardAccess(token),
                    new ActionLimiter(settings.actionsPerMinute(), System::nanoTime));
            ServerBinding binding = Http.get(system).newServerAt(HOST, port).bind(routes.route())
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            monitor.addListener(events);
            Dashboard d = new Dashboard(system, events, binding, token);
            LOG.info("dashboard listening on {}", d.url());
            return d;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            stop(system);
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot serve the dashboard on " + HOST + ":" + port + ": " + cause, cause);
        } catch (InterruptedException e) {
            stop(system);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the dashboard", e);
        }
    }

    /** The port it listens on (the one chosen when started with port 0). */
    public int port() {
        return binding.localAddress().getPort();
    }

    /** {@code http://127.0.0.1:PORT/}: where it is, without the secret (for logs). */
    public String url() {
        return "http://" + HOST + ":" + port() + "/";
    }

    /** {@code http://127.0.0.1:PORT/?token=TOKEN}: the URL to open, the one printed at start. */
    public String pageUrl() {
        return url() + "?token=" + token.value();
    }

    /** The secret the API and the events require. */
    public DashboardToken token() {
        return token;
    }

    /** The event streams, for tests to read their counters. */
    EventHub events() {
        return events;
    }

    /** Ends the event streams, closes the connections (waiting up to 3 s for requests in progress) and stops. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        events.close();
        try {
            binding.terminate(Duration.ofSeconds(3)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("the dashboard's connections did not close cleanly: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stop(system);
    }

    private static void stop(ActorSystem<Void> system) {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("the dashboard's actor system did not stop within 30 s: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
