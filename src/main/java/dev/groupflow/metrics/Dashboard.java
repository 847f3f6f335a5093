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

/**
 * The live dashboard of a training run (docs/dashboard.md): a Pekko HTTP server on 127.0.0.1 serving the page
 * ({@code GET /}), server-sent events ({@code /events}), a JSON API ({@code /api/status}, {@code /api/metrics},
 * {@code /api/completions}), the buttons' actions ({@code POST /api/pause}, {@code /api/resume},
 * {@code /api/checkpoint}) and Prometheus {@code /metrics}, all from a {@link RunMonitor}.
 *
 * <p>It runs in an actor system of its own: the streaming run's system stops the moment training ends (its
 * guardian stops), lockstep runs have none, and the dashboard should stay up through the final evaluation.
 * {@link #close} ends the event streams, unbinds and stops that system.
 */
public final class Dashboard implements AutoCloseable {
    /** The address it binds to; never another interface. */
    public static final String HOST = "127.0.0.1";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Dashboard.class);

    private final ActorSystem<Void> system;
    private final EventHub events;
    private final ServerBinding binding;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Dashboard(ActorSystem<Void> system, EventHub events, ServerBinding binding) {
        this.system = system;
        this.events = events;
        this.binding = binding;
    }

    /**
     * Binds 127.0.0.1:{@code port} (0: any free port) and serves {@code monitor}; returns once bound.
     *
     * @throws IllegalStateException when the port cannot be bound (in use, not permitted)
     */
    public static Dashboard start(RunMonitor monitor, int port) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "groupflow-dashboard");
        try {
            EventHub events = new EventHub(Materializer.matFromSystem(system));
            PrometheusExport prometheus = new PrometheusExport(monitor);
            ServerBinding binding = Http.get(system).newServerAt(HOST, port)
                    .bind(new DashboardRoutes(monitor, events, prometheus).route())
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            monitor.addListener(events);
            Dashboard d = new Dashboard(system, events, binding);
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

    /** {@code http://127.0.0.1:PORT/}. */
    public String url() {
        return "http://" + HOST + ":" + port() + "/";
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
