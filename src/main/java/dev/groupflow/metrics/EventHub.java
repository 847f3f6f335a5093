package dev.groupflow.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.BroadcastHub;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The server-sent events of the dashboard, a Pekko Streams broadcast:
 *
 * <pre>
 *   learner thread ─offer─▶ Source.queue(bounded) ─▶ to SSE ─▶ BroadcastHub ─┬─▶ buffer(dropHead) ─▶ client 1
 *                                                                            ├─▶ buffer(dropHead) ─▶ client 2
 *                                                                            └─▶ Sink.ignore (keeps it flowing)
 * </pre>
 *
 * The learner never waits: {@link #publish} only offers to a bounded queue and an event that finds it full is
 * dropped. Each client has its own buffer that drops its oldest events, so a slow client loses events instead of
 * holding the others back. Each client's stream also carries a status snapshot every second (and at once when it
 * connects), and ends when the hub is closed.
 */
final class EventHub implements RunMonitor.Listener {
    private static final int BUFFER = 256;

    private final BoundedSourceQueue<Pair<String, Object>> queue;
    private final Source<ServerSentEvent, NotUsed> events;
    private final SharedKillSwitch stop = KillSwitches.shared("dashboard-events");

    EventHub(Materializer materializer) {
        Pair<BoundedSourceQueue<Pair<String, Object>>, Source<ServerSentEvent, NotUsed>> hub =
                Source.<Pair<String, Object>>queue(BUFFER)
                        .map(e -> ServerSentEvent.create(Json.write(e.second()), e.first()))
                        .toMat(BroadcastHub.of(ServerSentEvent.class, BUFFER), Keep.both())
                        .run(materializer);
        queue = hub.first();
        events = hub.second();
        events.runWith(Sink.ignore(), materializer);
    }

    /** Offers an event to every client; never blocks (dropped when the queue is full or closed). */
    void publish(String type, Object data) {
        queue.offer(Pair.create(type, data));
    }

    @Override
    public void metrics(Map<String, Object> line) {
        publish("metrics", line);
    }

    @Override
    public void completions(Map<String, Object> latest) {
        publish("completions", latest);
    }

    /** One client's stream: a status now, then every event and a status each {@code every}. */
    Source<ServerSentEvent, NotUsed> subscribe(Supplier<Object> status, Duration every) {
        Source<ServerSentEvent, NotUsed> statuses = Source.tick(every, every, "tick")
                .map(t -> ServerSentEvent.create(Json.write(status.get()), "status"))
                .mapMaterializedValue(c -> NotUsed.getInstance());
        return Source.lazySingle(() -> ServerSentEvent.create(Json.write(status.get()), "status"))
                .concat(events.buffer(BUFFER, OverflowStrategy.dropHead()).merge(statuses))
                .keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat)
                .via(stop.flow());
    }

    /** Ends every client's stream and the hub. */
    void close() {
        queue.complete();
        stop.shutdown();
    }
}
