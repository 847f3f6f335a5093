package dev.groupflow.agent;

import dev.groupflow.CborSerializable;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * An environment that is an actor of the host application (docs/agents.md has a worked example). The actor
 * receives {@link Start}, {@link Step} and {@link End} and answers each with one {@link Reply} to its
 * {@code replyTo}: {@link Started}, {@link Stepped}, {@link Ended}, or {@link Refused} (a failure, with whether a
 * retry could help). The messages are {@link CborSerializable} records, so the actor may live on another node and
 * may answer from anywhere in its system, in any order.
 *
 * <p>Each call is an ask with {@code askTimeout}. No answer within it (the actor is busy, or it crashed while
 * handling the message, which is then lost) is a retryable {@link EnvironmentFailure}: {@link EnvironmentCalls}
 * sends it again after its backoff, by which time a supervised actor has been restarted ({@link #supervised}). A
 * restarted actor that lost the episode's state should answer {@code Refused(..., false)} for it: that episode
 * then ends as failed and the others go on.
 */
public final class ActorEnvironment implements Environment {

    /** What the environment actor receives. */
    public sealed interface Command extends CborSerializable permits Start, Step, End {
    }

    /** Start an episode; answer {@link Started}. */
    public record Start(EpisodeStart start, ActorRef<Reply> replyTo) implements Command {
    }

    /** Apply a turn's action; answer {@link Stepped} (the same one again for a repeated turn). */
    public record Step(EpisodeStep step, ActorRef<Reply> replyTo) implements Command {
    }

    /** End an episode; answer {@link Ended}. */
    public record End(String episodeId, ActorRef<Reply> replyTo) implements Command {
    }

    /** What the environment actor answers. */
    public sealed interface Reply extends CborSerializable permits Started, Stepped, Ended, Refused {
    }

    /** The episode's first observation. */
    public record Started(Observation observation) implements Reply {
    }

    /** The step's transition. */
    public record Stepped(Transition transition) implements Reply {
    }

    /** The episode is ended. */
    public record Ended() implements Reply {
    }

    /** The actor could not do it; {@code retryable}: whether the same message again could succeed. */
    public record Refused(String reason, boolean retryable) implements Reply {
    }

    private final ActorRef<Command> target;
    private final Scheduler scheduler;
    private final Duration askTimeout;

    /**
     * @param target the environment actor
     * @param askTimeout how long one ask waits for the answer (shorter than the environment timeout of
     *     {@link EnvironmentCalls}, so a lost message is retried within it)
     */
    public ActorEnvironment(ActorRef<Command> target, Scheduler scheduler, Duration askTimeout) {
        this.target = target;
        this.scheduler = scheduler;
        this.askTimeout = askTimeout;
    }

    /**
     * A host's environment behaviour restarted after any exception: the actor keeps its address, so
     * {@link ActorEnvironment} needs nothing new, and the calls lost in the crash are retried.
     */
    public static Behavior<Command> supervised(Behavior<Command> behavior) {
        return Behaviors.supervise(behavior).onFailure(Exception.class, SupervisorStrategy.restart());
    }

    @Override
    public CompletionStage<Observation> start(EpisodeStart start) {
        return ask(replyTo -> new Start(start, replyTo), "start", Started.class).thenApply(Started::observation);
    }

    @Override
    public CompletionStage<Transition> step(EpisodeStep step) {
        return ask(replyTo -> new Step(step, replyTo), "step " + step.turn(), Stepped.class)
                .thenApply(Stepped::transition);
    }

    @Override
    public CompletionStage<Void> end(String episodeId) {
        return ask(replyTo -> new End(episodeId, replyTo), "end", Ended.class).thenApply(e -> null);
    }

    private <R extends Reply> CompletionStage<R> ask(Function<ActorRef<Reply>, Command> message, String what,
                                                     Class<R> expected) {
        CompletableFuture<R> out = new CompletableFuture<>();
        AskPattern.ask(target, message::apply, askTimeout, scheduler).whenComplete((reply, error) -> {
            if (error != null) {
                out.completeExceptionally(error instanceof TimeoutException
                        || error.getCause() instanceof TimeoutException
                        ? new EnvironmentFailure("the environment actor " + target.path() + " did not answer "
                                + what + " within " + askTimeout.toMillis() + " ms (busy, or it crashed)", true)
                        : error);
            } else if (reply instanceof Refused r) {
                out.completeExceptionally(new EnvironmentFailure("the environment actor " + target.path()
                        + " refused " + what + ": " + r.reason(), r.retryable()));
            } else if (expected.isInstance(reply)) {
                out.complete(expected.cast(reply));
            } else {
                out.completeExceptionally(new EnvironmentFailure("the environment actor " + target.path()
                        + " answered " + what + " with " + reply, false));
            }
        });
        return out;
    }
}
