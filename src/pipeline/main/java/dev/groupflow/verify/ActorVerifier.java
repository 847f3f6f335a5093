package dev.groupflow.verify;

import dev.groupflow.CborSerializable;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A verifier that is an actor of the host application: each completion is sent to it as a {@link Score} request
 * and it answers {@link Scored} or {@link Failed} to the request's {@code replyTo}. This is how an actor-based
 * backend plugs its own scoring (a database lookup, a game engine, a human-review queue) into training. The actor
 * may answer from anywhere in its system, in any order, and may be on another node: the messages are
 * {@link CborSerializable} records.
 *
 * <p>An actor that does not answer within {@code askTimeout} makes the call fail (the pipeline's own
 * {@code verifier.timeout} usually fires first and makes it a timed-out outcome).
 */
public final class ActorVerifier implements Verifier {

    /** The request the actor receives. */
    public record Score(VerifyRequest request, ActorRef<Reply> replyTo) implements CborSerializable {
    }

    /** What the actor answers. */
    public sealed interface Reply extends CborSerializable permits Scored, Failed {
    }

    /** The completion's reward. */
    public record Scored(Reward reward) implements Reply {
    }

    /** The actor could not score it (a failed outcome, never reward 0). */
    public record Failed(String reason) implements Reply {
    }

    private final ActorRef<Score> target;
    private final Scheduler scheduler;
    private final Duration askTimeout;

    public ActorVerifier(ActorRef<Score> target, Scheduler scheduler, Duration askTimeout) {
        this.target = target;
        this.scheduler = scheduler;
        this.askTimeout = askTimeout;
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        CompletionStage<Reply> reply = AskPattern.ask(target, replyTo -> new Score(request, replyTo), askTimeout,
                scheduler);
        return reply.thenCompose(r -> r instanceof Scored s ? CompletableFuture.completedFuture(s.reward())
                : CompletableFuture.failedFuture(new VerifierFailure("the verifier actor " + target.path()
                        + " could not score: " + ((Failed) r).reason(), false)));
    }
}
