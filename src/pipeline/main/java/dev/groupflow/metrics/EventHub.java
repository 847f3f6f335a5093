package dev.groupflow.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Source;
import scala.concurrent.duration.FiniteDuration;

/**
 * The server-sent events of the dashboard, each client with a bounded queue of its own:
 *
 * <pre>
 *   learner thread ─publish─▶ JSON once ─offer─┬─▶ queue (≤ 256 events, ≤ 2 MiB) ─▶ client 1
 *                                              ├─▶ queue                          ─▶ client 2
 *                                              └─▶ ... at most maxStreams clients; one more is refused
 * </pre>
 *
 * The learner never waits: {@link #publish} writes the event's JSON once and offers it to each client's queue.
 * A client whose queue is full (it stopped reading: a stuck browser, a script that opened the stream and went
 * away) is disconnected instead of holding more; a browser reconnects by itself and the page reloads what it
 * missed. At most {@code maxStreams} streams are open at once; {@link #subscribe} refuses one more, so many
 * clients can neither starve the server nor exhaust its memory. Each client's stream also carries a status
 * snapshot every second (and at once when it connects), and ends when the hub is closed. The counters
 * ({@link #open}, {@link #refused}, {@link #slowDisconnects}, {@link #peakQueuedBytes}) are what tests check.
 */
final class EventHub implements RunMonitor.Listener {
    /** Events that may wait for one client. */
    static final int STREAM_EVENTS = 256;
    /** Characters of event data that may wait for one client. */
    static final long STREAM_BYTES = 2L << 20;
    /** A stream that was granted but never started (its connection went away first) gives its slot back. */
    private static final FiniteDuration UNCLAIMED = FiniteDuration.create(10, TimeUnit.SECONDS);

    private final Materializer materializer;
    private final int maxStreams;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong slowDisconnects = new AtomicLong();
    private final AtomicLong peakQueuedBytes = new AtomicLong();
    private final AtomicInteger peakQueuedEvents = new AtomicInteger();
    private final SharedKillSwitch stop = KillSwitches.shared("dashboard-events");
    private volatile boolean closed;

    EventHub(Materializer materializer, int maxStreams) {
        this.materializer = materializer;
        this.maxStreams = maxStreams;
    }

    /** Offers an event to every client; never blocks (a client with a full queue is disconnected). */
    void publish(String type, Object data) {
        if (clients.isEmpty()) {
            return;
        }
        ServerSentEvent event = ServerSentEvent.create(Json.write(data), type);
        for (Client c : clients) {
            c.offer(event);
        }
    }

    @Override
    public void metrics(Map<String, Object> line) {
        publish("metrics", line);
    }

    @Override
    public void completions(Map<String, Object> latest) {
        publish("completions", latest);
    }

    /**
     * One client's stream: a status now, then every event and a status each {@code every}; empty when
     * {@code maxStreams} streams are open already (or the hub is closed).
     */
    Optional<Source<ServerSentEvent, NotUsed>> subscribe(Supplier<Object> status, Duration every) {
        if (closed) {
            return Optional.empty();
        }
        if (open.incrementAndGet() > maxStreams) {
            open.decrementAndGet();
            refused.incrementAndGet();
            return Optional.empty();
        }
        Client client = new Client();
        materializer.scheduleOnce(UNCLAIMED, client::releaseUnclaimed);
        Source<ServerSentEvent, NotUsed> events = Source.<ServerSentEvent>queue(STREAM_EVENTS)
                .mapMaterializedValue(q -> {
                    client.claim(q);
                    return NotUsed.getInstance();
                })
                .map(client::taken);
        Source<ServerSentEvent, NotUsed> statuses = Source.tick(every, every, "tick")
                .map(t -> ServerSentEvent.create(Json.write(status.get()), "status"))
                .mapMaterializedValue(c -> NotUsed.getInstance());
        return Optional.of(Source.lazySingle(() -> ServerSentEvent.create(Json.write(status.get()), "status"))
                .concat(events.merge(statuses, true)) // ends when the client's queue does
                .keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat)
                .via(stop.flow())
                .watchTermination((mat, done) -> {
                    done.whenComplete((d, e) -> client.release());
                    return mat;
                }));
    }

    /** Streams open now (granted and not yet ended). */
    int open() {
        return open.get();
    }

    /** Streams that have started (their connection is being written to). */
    int attached() {
        return clients.size();
    }

    /** Streams refused because {@code maxStreams} were open. */
    long refused() {
        return refused.get();
    }

    /** Clients disconnected because their queue was full. */
    long slowDisconnects() {
        return slowDisconnects.get();
    }

    /** The most event data that ever waited for one client (at most {@link #STREAM_BYTES}). */
    long peakQueuedBytes() {
        return peakQueuedBytes.get();
    }

    /** The most events that ever waited for one client (at most {@link #STREAM_EVENTS}). */
    int peakQueuedEvents() {
        return peakQueuedEvents.get();
    }

    /** Ends every client's stream and refuses new ones. */
    void close() {
        closed = true;
        stop.shutdown();
    }

    /** One client: its queue once its stream has started, and the event data waiting in it. */
    private final class Client {
        private final AtomicLong queuedBytes = new AtomicLong();
        private BoundedSourceQueue<ServerSentEvent> queue;
        private boolean released;

        synchronized void claim(BoundedSourceQueue<ServerSentEvent> q) {
            if (released || closed) {
                q.complete();
                return;
            }
            queue = q;
            clients.add(this);
        }

        synchronized void releaseUnclaimed() {
            if (queue == null) {
                release();
            }
        }

        synchronized void release() {
            if (!released) {
                released = true;
                clients.remove(this);
                open.decrementAndGet();
            }
        }

        void offer(ServerSentEvent event) {
            long size = event.getData().length();
            long queued = queuedBytes.addAndGet(size);
            QueueOfferResult r = queued > STREAM_BYTES ? QueueOfferResult.dropped() : queue.offer(event);
            if (r.isEnqueued()) {
                peakQueuedBytes.accumulateAndGet(queued, Math::max);
                peakQueuedEvents.accumulateAndGet(queue.size(), Math::max);
                return;
            }
            queuedBytes.addAndGet(-size);
            if (r == QueueOfferResult.dropped() && clients.remove(this)) {
                slowDisconnects.incrementAndGet();
                queue.fail(new IllegalStateException("the client does not read its events; disconnected"));
            }
        }

        ServerSentEvent taken(ServerSentEvent event) {
            queuedBytes.addAndGet(-event.getData().length());
            return event;
        }
    }
}
