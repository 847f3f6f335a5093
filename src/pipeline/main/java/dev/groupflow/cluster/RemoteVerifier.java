package dev.groupflow.cluster;

import dev.groupflow.verify.Reward;
import dev.groupflow.verify.Verifier;
import dev.groupflow.verify.VerifierFailure;
import dev.groupflow.verify.VerifyRequest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.delivery.WorkPullingProducerController;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A verifier whose calls run on verifier worker JVMs. The learner node keeps a queue of jobs and a
 * {@link WorkPullingProducerController}; idle workers (registered under {@link #KEY}) pull jobs, so a slow or busy
 * worker never receives more than it asked for. If a worker dies before confirming a job, the controller re-sends
 * it to another worker; if both answer, the second answer is ignored. The verifier must be bound to an actor
 * context ({@link #bind}) before its first call: the training supervisor does that when it starts.
 */
public final class RemoteVerifier implements Verifier {
    /** Where verifier workers register their consumers. */
    public static final ServiceKey<ConsumerController.Command<VerifyJob>> KEY =
            ServiceKey.create(ConsumerController.serviceKeyClass(), "groupflow-verifier");

    private final AtomicLong ids = new AtomicLong();
    private volatile ActorRef<Dispatcher.Command> dispatcher;
    private volatile boolean stopped;

    /** Starts the dispatcher as a child of {@code ctx}'s actor. */
    public void bind(ActorContext<?> ctx) {
        dispatcher = ctx.spawn(Dispatcher.create(() -> stopped = true), "remote-verifier");
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        if (dispatcher == null || stopped) {
            return CompletableFuture.failedFuture(new VerifierFailure(dispatcher == null
                    ? "remote verifier not started" : "remote verifier stopped (its actor system has ended)", false));
        }
        CompletableFuture<Reward> answer = new CompletableFuture<>();
        dispatcher.tell(new Dispatcher.Submit(ids.incrementAndGet(), request, answer));
        return answer;
    }

    /** The learner-side actor: queues jobs, hands them to workers on demand, completes calls with answers. */
    static final class Dispatcher {
        sealed interface Command {
        }

        /** Local only (carries a future): a call to send. */
        record Submit(long id, VerifyRequest request, CompletableFuture<Reward> answer) implements Command {
        }

        private record Next(WorkPullingProducerController.RequestNext<VerifyJob> next) implements Command {
        }

        private record Answered(VerifyAnswer answer) implements Command {
        }

        static Behavior<Command> create(Runnable onStop) {
            return Behaviors.setup(ctx -> {
                ActorRef<WorkPullingProducerController.Command<VerifyJob>> producer = ctx.spawn(
                        WorkPullingProducerController.create(VerifyJob.class, "verify-jobs", KEY, Optional.empty()),
                        "producer");
                ActorRef<WorkPullingProducerController.RequestNext<VerifyJob>> nextAdapter =
                        ctx.messageAdapter(WorkPullingProducerController.requestNextClass(), Next::new);
                ActorRef<VerifyAnswer> answers = ctx.messageAdapter(VerifyAnswer.class, Answered::new);
                producer.tell(new WorkPullingProducerController.Start<>(nextAdapter));
                Deque<VerifyJob> queue = new ArrayDeque<>();
                Map<Long, CompletableFuture<Reward>> waiting = new HashMap<>();
                Map<String, Long> answersByWorker = new TreeMap<>();
                ActorRef<VerifyJob>[] sendTo = newSlot();
                return Behaviors.receive(Command.class)
                        .onMessage(Submit.class, s -> {
                            waiting.put(s.id(), s.answer());
                            queue.add(new VerifyJob(s.id(), s.request(), answers));
                            flush(queue, sendTo);
                            return Behaviors.same();
                        })
                        .onMessage(Next.class, n -> {
                            sendTo[0] = n.next().sendNextTo();
                            flush(queue, sendTo);
                            return Behaviors.same();
                        })
                        .onMessage(Answered.class, a -> {
                            CompletableFuture<Reward> f = waiting.remove(a.answer().id());
                            if (answersByWorker.merge(a.answer().worker(), 1L, Long::sum) == 1L) {
                                ctx.getLog().info("verifier worker {} answered its first job", a.answer().worker());
                            }
                            if (f != null) { // null: a duplicate after a re-sent job, or a call already timed out
                                if (a.answer().reward() != null) {
                                    f.complete(a.answer().reward());
                                } else {
                                    f.completeExceptionally(new VerifierFailure("worker " + a.answer().worker()
                                            + ": " + a.answer().failure(), false));
                                }
                            }
                            return Behaviors.same();
                        })
                        .onSignal(PostStop.class, signal -> {
                            onStop.run(); // first, so no new call waits on a dead actor
                            ctx.getLog().info("verifier answers by worker: {}", answersByWorker);
                            VerifierFailure gone = new VerifierFailure("remote verifier stopped", false);
                            waiting.values().forEach(f -> f.completeExceptionally(gone));
                            return Behaviors.same();
                        })
                        .build();
            });
        }

        @SuppressWarnings("unchecked")
        private static ActorRef<VerifyJob>[] newSlot() {
            return (ActorRef<VerifyJob>[]) new ActorRef<?>[1];
        }

        /** Sends the next queued job when a worker has asked for one (one per request, as the protocol wants). */
        private static void flush(Deque<VerifyJob> queue, ActorRef<VerifyJob>[] sendTo) {
            if (sendTo[0] != null && !queue.isEmpty()) {
                sendTo[0].tell(queue.poll());
                sendTo[0] = null;
            }
        }
    }
}
