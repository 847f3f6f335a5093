package dev.groupflow.pipeline;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
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
 * the learner, the supply or the stream ends the run with the reason. On {@link GracefulStop} the learner
 * finishes its step and checkpoints. The run's outcome completes {@code result}.
 */
public final class TrainingSupervisor extends AbstractBehavior<TrainingSupervisor.Command> {

    public interface Command extends CborSerializable {
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

    private record ChildStopped(String name) implements Command {
    }

    public static final String PINNED = "groupflow.pinned-dispatcher";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TrainingSupervisor.class);

    public static Behavior<Command> create(TrainingSetup setup, StepReporter reporter,
                                           CompletableFuture<RunResult> result) {
        return Behaviors.setup(ctx -> new TrainingSupervisor(ctx, setup, reporter, result));
    }

    private final TrainingSetup setup;
    private final CompletableFuture<RunResult> result;
    private final ActorRef<PromptSupply.Command> supply;
    private final ActorRef<LearnerActor.Command> learner;
    private final ActorRef<SamplerActor.Command> sampler; // null when sampling runs on sampler workers
    private final BoundedSourceQueue<Rollout> queue;
    private boolean finishing;
    private volatile boolean closing;
    private final java.util.concurrent.atomic.AtomicReference<String> dataError =
            new java.util.concurrent.atomic.AtomicReference<>();

    private TrainingSupervisor(ActorContext<Command> ctx, TrainingSetup setup, StepReporter reporter,
                               CompletableFuture<RunResult> result) {
        super(ctx);
        this.setup = setup;
        this.result = result;
        var c = setup.config;
        int groupSize = c.grpo().groupSize();
        supply = ctx.spawn(PromptSupply.create(new PromptSupply.Settings(setup.source, setup.encoder,
                c.train().batchGroups(), c.pipeline().maxStaleness(), setup.startData, setup.gauges, dataError::set)),
                "supply", setup.source instanceof StreamPromptSource
                        ? DispatcherSelector.blocking() // it waits on the application's stream
                        : DispatcherSelector.defaultDispatcher());
        ctx.watchWith(supply, new ChildStopped("supply"));

        TrainingCore core = new TrainingCore(setup, reporter);
        ActorRef<LearnerActor.Report> reports = ctx.messageAdapter(LearnerActor.Report.class, LearnerReported::new);
        learner = ctx.spawn(LearnerActor.create(setup, core, supply, reports), "learner",
                DispatcherSelector.fromConfig(PINNED));
        ctx.watchWith(learner, new ChildStopped("learner"));
        supply.tell(new PromptSupply.RegisterLearner(learner));

        int bound = Math.max(1024, 2 * (c.pipeline().maxStaleness() + 1) * c.train().batchGroups() * groupSize);
        queue = Source.<Rollout>queue(bound)
                .via(VerifierStage.flow(setup.calls, c.verifier().concurrency(), setup.gauges))
                .via(GroupAssembler.flow(groupSize, c.pipeline().filterZeroVariance(), setup.gauges, g -> {
                    setup.gauges.groupsFiltered.incrementAndGet();
                    setup.gauges.samplesFiltered.addAndGet(g.members().size());
                    supply.tell(new PromptSupply.Resolved(java.util.List.of(g.promptKey()),
                            PromptSupply.Resolution.FILTERED));
                }))
                .to(ActorSink.<Group, LearnerActor.Command, LearnerActor.Ack>actorRefWithBackpressure(learner,
                        (ack, g) -> new LearnerActor.GroupArrived(ack, g), LearnerActor.StreamStarted::new,
                        LearnerActor.Ack.INSTANCE, LearnerActor.StreamCompleted.INSTANCE,
                        t -> new LearnerActor.StreamFailed(String.valueOf(t))))
                .run(Materializer.createMaterializer(ctx));

        if (setup.verifier instanceof dev.groupflow.cluster.RemoteVerifier remote) {
            remote.bind(ctx);
        }
        if (c.cluster().remoteSamplers()) {
            sampler = null;
            var bridge = ctx.spawn(Behaviors.supervise(dev.groupflow.cluster.RemoteSamplerBridge.create(
                    new dev.groupflow.cluster.RemoteSamplerBridge.Settings(supply, setup.weights,
                            setup.replicaFactory(), setup::writeTokenizerFiles, setup.files.dir().resolve("weights"),
                            this::offer, c.sampling(), groupSize, c.pipeline().samplerBatchPrompts(),
                            c.cluster().samplerJobs(), c.seed(), c.pipeline().maxStaleness() + 2, setup.gauges)))
                            .onFailure(Exception.class, SupervisorStrategy.restartWithBackoff(
                                    c.pipeline().restartMinBackoff(), c.pipeline().restartMaxBackoff(), 0.2)
                                    .withMaxRestarts(c.pipeline().maxRestarts())),
                    "remote-samplers", DispatcherSelector.fromConfig(PINNED));
            ctx.watchWith(bridge, new ChildStopped("remote-samplers"));
            return;
        }
        AtomicInteger incarnations = new AtomicInteger();
        SamplerActor.Settings samplerSettings = new SamplerActor.Settings("sampler-0", () -> {
            if (incarnations.getAndIncrement() > 0) {
                setup.gauges.stageRestarts.incrementAndGet();
                LOG.warn("sampler restarted after a failure (restart {})", incarnations.get() - 1);
            }
            return setup.replicaFactory().get();
        }, setup.tokenizer, setup.weights, supply, this::offer, c.sampling(), groupSize,
                c.pipeline().samplerBatchPrompts(), c.seed(), setup.gauges,
                c.deterministic() ? new SamplerActor.ExactVersions(c.train().batchGroups(), c.pipeline().maxStaleness())
                        : null, () -> closing);
        sampler = ctx.spawn(Behaviors.supervise(SamplerActor.create(samplerSettings))
                        .onFailure(Exception.class, SupervisorStrategy.restartWithBackoff(
                                c.pipeline().restartMinBackoff(), c.pipeline().restartMaxBackoff(), 0.2)
                                .withMaxRestarts(c.pipeline().maxRestarts())),
                "sampler-0", DispatcherSelector.fromConfig(PINNED));
        ctx.watchWith(sampler, new ChildStopped("sampler-0"));
    }

    private void offer(Rollout r) {
        QueueOfferResult res = queue.offer(r);
        if (res == QueueOfferResult.enqueued() || (closing && res == QueueOfferResult.closed())) {
            return; // after the run has finished, a last batch in hand is simply not needed
        }
        // admission control bounds what is in flight, so the queue has room for all of it
        throw new IllegalStateException("verifier queue refused a rollout: " + res);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(LearnerReported.class, this::onLearnerReport)
                .onMessage(ChildStopped.class, this::onChildStopped)
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
                .onSignal(Terminated.class, t -> this)
                .build();
    }

    private Behavior<Command> onLearnerReport(LearnerReported r) {
        if (finishing) {
            return this;
        }
        if (r.report() instanceof LearnerActor.Finished f) {
            return finish(new RunResult(f.steps(), f.interrupted(), null));
        }
        LearnerActor.Failed f = (LearnerActor.Failed) r.report();
        return finish(new RunResult(setup.startStep, false, f.reason(), f.checkpoints()));
    }

    private Behavior<Command> onChildStopped(ChildStopped c) {
        if (finishing) {
            return this;
        }
        if (c.name().equals("supply") && dataError.get() != null) {
            return finish(new RunResult(setup.startStep, false, dataError.get()));
        }
        return finish(new RunResult(setup.startStep, false, "the " + c.name() + " stage stopped unexpectedly"
                + (c.name().startsWith("sampler") ? " (it failed more than pipeline.max-restarts times; see the log)"
                : "")));
    }

    private Behavior<Command> finish(RunResult r) {
        finishing = true;
        closing = true;
        result.complete(r); // first: nothing below may keep the outcome from being reported
        if (sampler != null) {
            sampler.tell(SamplerActor.Stop.INSTANCE);
        }
        try {
            queue.complete();
        } catch (RuntimeException alreadyDone) {
            // the stream ends on its own once the learner has stopped (the sink watches it)
        }
        return Behaviors.stopped();
    }
}
