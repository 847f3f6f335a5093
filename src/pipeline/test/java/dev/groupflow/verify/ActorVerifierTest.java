package dev.groupflow.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** An actor of the "host application" scores completions; the verifier calls map its answers to outcomes. */
class ActorVerifierTest {
    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final ScheduledExecutorService SCHEDULER = Executors.newSingleThreadScheduledExecutor();

    @AfterAll
    static void shutdown() {
        SCHEDULER.shutdownNow();
        KIT.shutdownTestKit();
    }

    /** A host actor: rewards completions containing the answer, refuses empty ones, ignores "silence". */
    private static ActorRef<ActorVerifier.Score> hostActor() {
        return KIT.spawn(Behaviors.receiveMessage(m -> {
            String c = m.request().completion();
            if (c.equals("silence")) {
                return Behaviors.same();
            }
            m.replyTo().tell(c.isEmpty() ? new ActorVerifier.Failed("empty completion")
                    : new ActorVerifier.Scored(Reward.of(c.contains(m.request().answer()) ? 1.0 : 0.0)));
            return Behaviors.same();
        }));
    }

    private static Outcome call(ActorRef<ActorVerifier.Score> actor, String completion) {
        ActorVerifier v = new ActorVerifier(actor, KIT.system().scheduler(), Duration.ofSeconds(5));
        return new VerifierCalls(v, Duration.ofMillis(500), 1, Duration.ofMillis(10), SCHEDULER)
                .call(new VerifyRequest("q", completion, "42", null)).toCompletableFuture().join();
    }

    @Test
    void anActorOfTheHostScoresCompletions() {
        ActorRef<ActorVerifier.Score> actor = hostActor();
        Outcome right = call(actor, "the answer is 42");
        assertEquals(Outcome.Status.SCORED, right.status());
        assertEquals(1.0, ((Outcome.Scored) right).reward());
        assertEquals(0.0, ((Outcome.Scored) call(actor, "7")).reward());
    }

    @Test
    void itsRefusalIsAFailureAndItsSilenceATimeout() {
        ActorRef<ActorVerifier.Score> actor = hostActor();
        Outcome refused = call(actor, "");
        assertEquals(Outcome.Status.FAILED, refused.status());
        assertFalse(refused instanceof Outcome.Scored);
        assertTrue(refused.detail().contains("empty completion"), refused.detail());
        assertEquals(1, refused.attempts(), "a refusal is not retried");
        assertEquals(Outcome.Status.TIMED_OUT, call(actor, "silence").status());
    }
}
