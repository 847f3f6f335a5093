package dev.groupflow.pipeline;

import dev.groupflow.CborSerializable;
import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.verify.VerifierCalls;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSink;

/**
 * Starts and watches the streaming pipeline:
 *
 * <pre>
 *   PromptSupply ──grants──▶ SamplerActor ──rollouts──▶ [ VerifierStage ▶ GroupAssembler ] ──groups──▶ LearnerActor
 *        ▲                        ▲                                                          │
 *        └────── resolved keys ───┼────────────────────── weights (WeightStore) ◀────────────┘
 * </pre>
 *
 * The sampler is restarted with backoff when it fails (its unfinished prompts are handed out again); a failure of
 * the learner, the supply or the stream ends the run with the reason, which arrives as Pekko's own failure signal
 * ({@link ChildFailed}). On {@link GracefulStop} the learner finishes its step and checkpoints. The run's outcome
 * completes {@code result}.
 */
public final class TrainingSupervisor extends AbstractBehavior<TrainingSupervisor.Command> {

    public sealed interface Command extends CborSerializable
            permits GracefulStop, CheckpointNow, Pause, Resume, LearnerReported {
    }

    /** Finish the current step, checkpoint, stop (SIGINT/SIGTERM). */
    public enum GracefulStop implements Command { INSTANCE }

    /** Write a checkpoint after the current step. */
    public enum CheckpointNow implements Command { INSTANCE }

    /** Stop admitting prompts and training after the current step; {@link Resume} continues. */
    public enum Pause implements Command { INSTANCE }

    public enum Resume implements Command { INSTANCE }

    private record LearnerReported(LearnerActor.Report report) implements Command {
    }

    /** The dispatcher of the actors that run PyTorch (one thread each, for its whole life). */
    public static final String PINNED = "groupflow.pinned-dispatcher";

    /**
     * The sampler stage: a local {@link SamplerActor}, or a bridge to sampler workers on other machines. It asks
     * the supply for prompts and puts its rollouts into the queue; the supervisor restarts it when it fails.
     *
     * @param name its actor's name (also in messages)
     * @param behavior the stage, given the supply and the verifier stream's entrance
     */
    public record SamplerStage(String name,
                               BiFunction<ActorRef<PromptSupply.Command>, RolloutQueue, Behavior<?>> behavior) {
    }

    /**
     * The verifier stream between the sampler and the learner.
     *
     * @param calls the verifier, with timeout and retries
     * @param concurrency verifier calls in flight at once
     * @param groupSize G, completions per prompt
     * @param filterZeroVariance drop groups without learning signal (DAPO's dynamic sampling)
     * @param queueBound rollouts the stream's entrance holds
     */
    public record Verification(VerifierCalls calls, int concurrency, int groupSize, boolean filterZeroVariance,
                               int queueBound) {
    }

    /** How a failed sampler is restarted: exponential backoff between the two, at most {@code maxRestarts}. */
    public record Restarts(Duration minBackoff, Duration maxBackoff, int maxRestarts) {
    }

    /**
     * Every stage of a run, as the diagram above.
     *
     * @param startStep the step the run starts from (a failed run reports it)
     * @param alsoStart starts what else must run as this supervisor's children (a verifier on other machines
     *     needs its dispatcher here)
     */
    public record Stages(PromptSupply.Settings supply, SamplerStage sampler, Restarts samplerRestarts,
                         Verification verification, TrainingCore learner, PipelineGauges gauges, long startStep,
                         Consumer<ActorContext<?>> alsoStart) {
    }

    public static Behavior<Command> create(Stages stages, CompletableFuture<RunResult> result) {
        return Behaviors.setup(ctx -> new TrainingSupervisor(ctx, stages, result));
    }

    private final Stages stages;
    private final CompletableFuture<RunResult> result;
    private final ActorRef<PromptSupply.Command> supply;
    private final ActorRef<LearnerActor.Command> learner;
    private final ActorRef<?> sampler;
    private final RolloutQueue queue;
    private boolean finishing;

    private TrainingSupervisor(ActorContext<Command> ctx, Stages stages, CompletableFuture<RunResult> result) {
        super(ctx);
        this.stages = stages;
        this.result = result;
        PipelineGauges gauges = stages.gauges();
        // it reads the prompts file and tokenizes: blocking work, off the default dispatcher
        supply = ctx.spawn(PromptSupply.create(stages.supply()), "supply", DispatcherSelector.blocking());
        ctx.watch(supply);

        ActorRef<LearnerActor.Report> reports = ctx.messageAdapter(LearnerActor.Report.class, LearnerReported::new);
        learner = ctx.spawn(LearnerActor.create(stages.learner(), gauges, supply, reports), "learner",
                DispatcherSelector.fromConfig(PINNED));
        ctx.watch(learner);
        supply.tell(new PromptSupply.RegisterLearner(learner));

        Verification v = stages.verification();
        queue = new RolloutQueue(Source.<Rollout>queue(v.queueBound())
                .via(VerifierStage.flow(v.calls(), v.concurrency(), gauges))
                .via(GroupAssembler.flow(v.groupSize(), v.filterZeroVariance(), gauges, g -> {
                    gauges.groupsFiltered.incrementAndGet();
                    gauges.samplesFiltered.addAndGet(g.members().size());
                    supply.tell(new PromptSupply.Resolved(List.of(g.promptKey()), PromptSupply.Resolution.FILTERED));
                }))
                .to(ActorSink.<Group, LearnerActor.Command, LearnerActor.Ack>actorRefWithBackpressure(learner,
                        (ack, g) -> new LearnerActor.GroupArrived(ack, g), LearnerActor.StreamStarted::new,
                        LearnerActor.Ack.INSTANCE, LearnerActor.StreamCompleted.INSTANCE,
                        t -> new LearnerActor.StreamFailed(String.valueOf(t))))
                .run(Materializer.createMaterializer(ctx)));

        stages.alsoStart().accept(ctx);
        sampler = spawnRestarting(stages.sampler().behavior().apply(supply, queue), stages.sampler().name());
        ctx.watch(sampler);
    }

    private <T> ActorRef<T> spawnRestarting(Behavior<T> behavior, String name) {
        Restarts r = stages.samplerRestarts();
        return getContext().spawn(Behaviors.supervise(behavior).onFailure(Exception.class,
                SupervisorStrategy.restartWithBackoff(r.minBackoff(), r.maxBackoff(), 0.2)
                        .withMaxRestarts(r.maxRestarts())), name, DispatcherSelector.fromConfig(PINNED));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(LearnerReported.class, this::onLearnerReport)
                .onMessageEquals(GracefulStop.INSTANCE, () -> {
                    learner.tell(LearnerActor.StopGracefully.INSTANCE);
                    return this;
                })
                .onMessageEquals(CheckpointNow.INSTANCE, () -> {
                    learner.tell(LearnerActor.CheckpointNow.INSTANCE);
                    return this;
                })
                .onMessageEquals(Pause.INSTANCE, () -> {
                    supply.tell(PromptSupply.Pause.INSTANCE);
                    learner.tell(LearnerActor.Pause.INSTANCE);
                    return this;
                })
                .onMessageEquals(Resume.INSTANCE, () -> {
                    supply.tell(PromptSupply.Resume.INSTANCE);
                    learner.tell(LearnerActor.Resume.INSTANCE);
                    return this;
                })
                .onSignal(ChildFailed.class, f -> onChildFailed(f.getRef(), f.cause()))
                .onSignal(Terminated.class, t -> onChildStopped(t.getRef()))
                .build();
    }

    private Behavior<Command> onLearnerReport(LearnerReported r) {
        if (finishing) {
            return this;
        }
        if (r.report() instanceof LearnerActor.Finished f) {
            return finish(f.interrupted() ? new RunResult.Interrupted(f.steps()) : new RunResult.Completed(f.steps()));
        }
        if (r.report() instanceof LearnerActor.Failed f) {
            return finish(new RunResult.Failed(stages.startStep(), f.reason(), f.checkpointsFailed()));
        }
        return this;
    }

    /** A stage failed: the supply's reason is the run's (a data error says what is wrong with which prompt). */
    private Behavior<Command> onChildFailed(ActorRef<?> child, Throwable cause) {
        if (finishing) {
            return this;
        }
        if (child.equals(supply) && cause.getMessage() != null) {
            return finish(new RunResult.Failed(stages.startStep(), cause.getMessage()));
        }
        return onChildStopped(child);
    }

    private Behavior<Command> onChildStopped(ActorRef<?> child) {
        if (finishing) {
            return this;
        }
        String name = child.path().name();
        return finish(new RunResult.Failed(stages.startStep(), "the " + name + " stage stopped unexpectedly"
                + (child.equals(sampler) && name.startsWith("sampler")
                ? " (it failed more than pipeline.max-restarts times; see the log)" : "")));
    }

    private Behavior<Command> finish(RunResult r) {
        finishing = true;
        result.complete(r); // first: nothing below may keep the outcome from being reported
        queue.complete();
        return Behaviors.stopped(); // its children, the sampler among them, stop with it
    }
}
