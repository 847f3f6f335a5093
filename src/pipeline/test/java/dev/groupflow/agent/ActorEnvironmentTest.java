package dev.groupflow.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.groupflow.data.Prompt;
import dev.groupflow.verify.RetryingCalls;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * An actor of the host application is the environment. Every message between groupflow and the actor goes
 * through Jackson CBOR ({@code serialize-messages = on}), as it would between JVMs; a crashing actor is
 * restarted by its supervisor and the calls it lost are retried.
 */
class ActorEnvironmentTest {
    private static final ActorTestKit KIT = ActorTestKit.create(ConfigFactory
            .parseString("pekko.actor.serialize-messages = on").withFallback(ConfigFactory.load()));
    private static final ScheduledExecutorService SCHEDULER = Executors.newSingleThreadScheduledExecutor();
    private static final Prompt TASK = Prompt.text("task-1", GuessTask.prompt(2), "47");

    @AfterAll
    static void shutdown() {
        SCHEDULER.shutdownNow();
        KIT.shutdownTestKit();
    }

    /**
     * The host's environment actor: plays the guess game, its episodes in {@code games} (the actor's own state
     * unless the host passes a map that outlives it); the action "boom" crashes it, and so do the first
     * {@code stepCrashes} steps.
     */
    private static Behavior<ActorEnvironment.Command> host(Map<String, LocalEnvironment.Session> games,
                                                           AtomicReference<EpisodeStart> lastStart,
                                                           AtomicInteger stepCrashes) {
        GuessEnvironment game = new GuessEnvironment(false);
        return Behaviors.receiveMessage(m -> {
            if (m instanceof ActorEnvironment.Start s) {
                lastStart.set(s.start());
                LocalEnvironment.Session session = game.start(s.start());
                games.put(s.start().episodeId(), session);
                s.replyTo().tell(new ActorEnvironment.Started(session.first()));
            } else if (m instanceof ActorEnvironment.Step s) {
                LocalEnvironment.Session session = games.get(s.step().episodeId());
                if (session == null) {
                    s.replyTo().tell(new ActorEnvironment.Refused("unknown episode " + s.step().episodeId(), false));
                } else if (s.step().action().text().equals("boom") || stepCrashes.getAndDecrement() > 0) {
                    throw new IllegalStateException("the game engine crashed");
                } else {
                    s.replyTo().tell(new ActorEnvironment.Stepped(session.step(s.step().action())));
                }
            } else if (m instanceof ActorEnvironment.End e) {
                games.remove(e.episodeId());
                e.replyTo().tell(new ActorEnvironment.Ended());
            }
            return Behaviors.same();
        });
    }

    private static EnvironmentCalls calls(ActorRef<ActorEnvironment.Command> actor) {
        return new EnvironmentCalls(new ActorEnvironment(actor, KIT.system().scheduler(), Duration.ofMillis(500)),
                Duration.ofSeconds(5), 2, Duration.ofMillis(50), SCHEDULER);
    }

    private static <T> T done(RetryingCalls.Result<T> r) {
        assertInstanceOf(RetryingCalls.Done.class, r, String.valueOf(r));
        return ((RetryingCalls.Done<T>) r).value();
    }

    private static EpisodeStep step(String id, int turn, String text) {
        return new EpisodeStep(id, turn, Action.plain(text, false));
    }

    @Test
    void anActorOfTheHostIsTheEnvironment() {
        AtomicReference<EpisodeStart> received = new AtomicReference<>();
        ActorRef<ActorEnvironment.Command> actor = KIT.spawn(ActorEnvironment.supervised(
                Behaviors.setup(ctx -> host(new HashMap<>(), received, new AtomicInteger()))));
        EnvironmentCalls env = calls(actor);
        EpisodeStart start = new EpisodeStart("a", TASK, 9);
        Observation first = done(env.start(start).toCompletableFuture().join());
        assertEquals(Observation.text("??:", ""), first);
        assertEquals(start, received.get());
        assertNotSame(start, received.get(), "the actor got a deserialized copy (CBOR), not our object");
        Transition t = done(env.step(step("a", 0, "41")).toCompletableFuture().join());
        assertEquals("=>:", t.observation().text());
        assertEquals(0.5, t.reward());
        Transition found = done(env.step(step("a", 1, "47")).toCompletableFuture().join());
        assertTrue(found.done());
        env.end("a").toCompletableFuture().join();
    }

    @Test
    void aCrashedActorIsRestartedAndTheEpisodeItLostFailsExplicitly() {
        AtomicReference<EpisodeStart> received = new AtomicReference<>();
        ActorRef<ActorEnvironment.Command> actor = KIT.spawn(ActorEnvironment.supervised(
                Behaviors.setup(ctx -> host(new HashMap<>(), received, new AtomicInteger()))));
        EnvironmentCalls env = calls(actor);
        done(env.start(new EpisodeStart("lost", TASK, 0)).toCompletableFuture().join());
        RetryingCalls.Result<Transition> crashed = env.step(step("lost", 0, "boom")).toCompletableFuture().join();
        // the crash lost the message (no answer: retried), the restarted actor no longer knows the episode
        EpisodeOutcome outcome = EnvironmentCalls.outcome(crashed, 0);
        assertInstanceOf(EpisodeOutcome.EnvironmentFailed.class, outcome);
        assertTrue(((EpisodeOutcome.EnvironmentFailed) outcome).reason().contains("unknown episode lost"),
                outcome.toString());
        assertEquals(2, crashed.attempts());
        // the same actor (restarted, not stopped) serves new episodes
        done(env.start(new EpisodeStart("next", TASK, 0)).toCompletableFuture().join());
        assertEquals(0.5, done(env.step(step("next", 0, "07")).toCompletableFuture().join()).reward());
    }

    @Test
    void stateKeptOutsideTheActorSurvivesACrashAndTheRetrySucceeds() {
        Map<String, LocalEnvironment.Session> durable = new ConcurrentHashMap<>();
        AtomicInteger crashes = new AtomicInteger(1); // outlives restarts, as the map does
        ActorRef<ActorEnvironment.Command> actor = KIT.spawn(ActorEnvironment.supervised(Behaviors.setup(
                ctx -> host(durable, new AtomicReference<>(), crashes))));
        EnvironmentCalls env = calls(actor);
        done(env.start(new EpisodeStart("kept", TASK, 0)).toCompletableFuture().join());
        RetryingCalls.Result<Transition> r = env.step(step("kept", 0, "47")).toCompletableFuture().join();
        assertTrue(done(r).done());
        assertEquals(2, r.attempts(), "one attempt lost in the crash, one answered by the restarted actor");
    }

    @Test
    void episodesAreCborMessagesToo() {
        Serialization serialization = SerializationExtension.get(Adapter.toClassic(KIT.system()));
        Action action = new Action("t", "c", List.of(new ToolCall("guess", Map.of("digits", "47"))),
                List.of("tool call 2 is not JSON"), true);
        Episode episode = new Episode("e", 3, 1, TASK, List.of(Segment.context(new int[] {5, 6}),
                Segment.policy(new int[] {7}, new float[] {-0.25f}, 4), Segment.environment(new int[] {8, 9}),
                Segment.policy(new int[] {10, 1}, new float[] {-1f, -2f}, 5)),
                List.of(new Step(0, "", action, 0.5, false, "=>:"), new Step(1, "41=>", action, -0.5, false, null)),
                new EpisodeOutcome.Truncated(EpisodeOutcome.Limit.MAX_TURNS));
        Serializer serializer = serialization.findSerializerFor(episode);
        assertTrue(serializer.getClass().getSimpleName().contains("Cbor"), serializer.getClass().getName());
        byte[] bytes = serialization.serialize(episode).get();
        Episode back = (Episode) serialization.deserialize(bytes, serializer.identifier(),
                Serializers.manifestFor(serializer, episode)).get();
        assertEquals(episode.outcome(), back.outcome());
        assertEquals(episode.steps(), back.steps());
        assertEquals(episode.task(), back.task());
        for (int i = 0; i < episode.segments().size(); i++) {
            assertEquals(episode.segments().get(i).kind(), back.segments().get(i).kind());
            assertArrayEquals(episode.segments().get(i).tokens(), back.segments().get(i).tokens());
            assertEquals(episode.segments().get(i).policyVersion(), back.segments().get(i).policyVersion());
        }
        assertArrayEquals(episode.sequence().logprobs(), back.sequence().logprobs(), 0f);
        for (EpisodeOutcome o : List.of(new EpisodeOutcome.Finished(), new EpisodeOutcome.EnvironmentFailed("x", 2),
                new EpisodeOutcome.EnvironmentTimedOut("y", -1))) {
            Episode e = new Episode("f", 0, 0, TASK, List.of(), List.of(), o);
            assertEquals(o, ((Episode) serialization.deserialize(serialization.serialize(e).get(),
                    serializer.identifier(), Serializers.manifestFor(serializer, e)).get()).outcome());
        }
    }
}
