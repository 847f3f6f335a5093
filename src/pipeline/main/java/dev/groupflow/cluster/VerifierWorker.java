package dev.groupflow.cluster;

import dev.groupflow.verify.Reward;
import dev.groupflow.verify.Verifier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A verifier worker's consumer: registered under {@link RemoteVerifier#KEY}, it takes one job at a time, scores it
 * with the worker's local verifier (asynchronously: a slow verifier holds this consumer, no thread), answers the
 * learner and only then confirms the job, so a job whose worker dies is re-sent. A worker runs several of these.
 */
public final class VerifierWorker {
    private VerifierWorker() {
    }

    /** The consumer's messages (internal). */
    public sealed interface Command {
    }

    private record Delivered(ConsumerController.Delivery<VerifyJob> delivery) implements Command {
    }

    private record Scored(ConsumerController.Delivery<VerifyJob> delivery, Reward reward,
                          String failure) implements Command {
    }

    public static Behavior<Command> consumer(Verifier verifier) {
        return Behaviors.<Command>setup(ctx -> {
            ActorRef<ConsumerController.Command<VerifyJob>> controller = ctx.spawn(
                    ConsumerController.create(RemoteVerifier.KEY), "consumer-controller");
            ActorRef<ConsumerController.Delivery<VerifyJob>> deliveries =
                    ctx.messageAdapter(ConsumerController.deliveryClass(), Delivered::new);
            controller.tell(new ConsumerController.Start<>(deliveries));
            String self = ctx.getSystem().address().toString();
            return Behaviors.receive(Command.class)
                    .onMessage(Delivered.class, d -> {
                        ctx.pipeToSelf(verifier.score(d.delivery().message().request()), (r, e) ->
                                new Scored(d.delivery(), r, e == null ? null : String.valueOf(e.getCause() != null
                                        ? e.getCause() : e)));
                        return Behaviors.same();
                    })
                    .onMessage(Scored.class, s -> {
                        VerifyJob job = s.delivery().message();
                        job.replyTo().tell(new VerifyAnswer(job.id(), s.reward(), s.failure(), self));
                        s.delivery().confirmTo().tell(ConsumerController.confirmed());
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
