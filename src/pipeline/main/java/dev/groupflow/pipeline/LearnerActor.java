package dev.groupflow.pipeline;

import dev.groupflow.CborSerializable;
import dev.groupflow.data.DataPosition;
import dev.groupflow.grpo.TrainingHaltedException;
import dev.groupflow.metrics.PipelineGauges;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * The learner stage: receives assembled groups from the stream (acknowledging each, which is the stream's
 * backpressure), and whenever B groups are buffered trains on the B oldest ({@link TrainingCore}) on its own pinned
 * thread. After each step it tells the supply which prompts were trained (freeing admission capacity). Every
 * {@code checkpoint.every} steps, at the end and on request it asks the supply for the data position and writes a
 * checkpoint; groups arriving meanwhile are stashed. A failed checkpoint is counted and training goes on, until
 * {@code checkpoint.max-consecutive-failures} in a row (or a failed final one) stop the run ({@link TrainingCore}).
 */
public final class LearnerActor extends AbstractBehavior<LearnerActor.Command> {

    public sealed interface Command extends CborSerializable {
    }

    public enum Ack implements CborSerializable { INSTANCE }

    /** The stream is ready to send groups. */
    public record StreamStarted(ActorRef<Ack> ackTo) implements Command {
    }

    /** A group arrived from the stream. */
    public record GroupArrived(ActorRef<Ack> ackTo, Group group) implements Command {
    }

    public enum StreamCompleted implements Command { INSTANCE }

    public record StreamFailed(String reason) implements Command {
    }

    /** The data has run out and every outstanding prompt is buffered here: train it all and finish. */
    public enum Drain implements Command { INSTANCE }

    /** Finish the current step, checkpoint, and finish (SIGINT/SIGTERM). */
    public enum StopGracefully implements Command { INSTANCE }

    /** Write a checkpoint after the current step. */
    public enum CheckpointNow implements Command { INSTANCE }

    /** Train no further step until {@link Resume} (groups keep arriving and are buffered). */
    public enum Pause implements Command { INSTANCE }

    public enum Resume implements Command { INSTANCE }

    private record Position(DataPosition position) implements Command {
    }

    /** What the learner reports to its parent. */
    public sealed interface Report extends CborSerializable permits Finished, Failed {
    }

    /** Training ended: all steps done, data exhausted, or stopped on request. */
    public record Finished(long steps, boolean interrupted) implements Report {
    }

    /** Training failed; {@code checkpointsFailed}: because checkpoints could not be written. */
    public record Failed(String reason, boolean checkpointsFailed) implements Report {
    }

    /**
     * The learner, training with {@code core}, resolving prompts at {@code supply}, reporting to {@code parent}.
     * Run it on a pinned dispatcher: its thread is the only one with a gradient collector.
     */
    public static Behavior<Command> create(TrainingCore core, PipelineGauges gauges,
                                           ActorRef<PromptSupply.Command> supply, ActorRef<Report> parent) {
        return Behaviors.withStash(1_000_000, stash -> Behaviors.setup(ctx -> {
            if (core.finished()) {
                // resumed from a checkpoint of the last step: nothing to train, and its checkpoint stands
                parent.tell(new Finished(core.step(), false));
                return Behaviors.stopped();
            }
            return new LearnerActor(ctx, stash, core, gauges, supply, parent);
        }));
    }

    private final StashBuffer<Command> stash;
    private final TrainingCore core;
    private final PipelineGauges gauges;
    private final ActorRef<PromptSupply.Command> supply;
    private final ActorRef<Report> parent;
    private final List<Group> buffer = new ArrayList<>();
    private boolean draining;
    private boolean paused;
    private boolean stopRequested;
    private boolean done;

    private LearnerActor(ActorContext<Command> ctx, StashBuffer<Command> stash, TrainingCore core,
                         PipelineGauges gauges, ActorRef<PromptSupply.Command> supply, ActorRef<Report> parent) {
        super(ctx);
        if (core.settings().deterministic()) {
            Determinism.singleThreaded();
        }
        this.stash = stash;
        this.core = core;
        this.gauges = gauges;
        this.supply = supply;
        this.parent = parent;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(StreamStarted.class, m -> ack(m.ackTo()))
                .onMessage(GroupArrived.class, this::onGroup)
                .onMessageEquals(StreamCompleted.INSTANCE, () -> this)
                .onMessage(StreamFailed.class, m -> fail("the verifier stream failed: " + m.reason()))
                .onMessageEquals(Drain.INSTANCE, this::onDrain)
                .onMessageEquals(StopGracefully.INSTANCE, this::onStop)
                .onMessageEquals(CheckpointNow.INSTANCE, this::onCheckpointNow)
                .onMessageEquals(Pause.INSTANCE, () -> {
                    paused = true;
                    return this;
                })
                .onMessageEquals(Resume.INSTANCE, () -> {
                    paused = false;
                    return trainWhileReady();
                })
                .onMessage(Position.class, m -> this)
                .build();
    }

    private Behavior<Command> ack(ActorRef<Ack> to) {
        to.tell(Ack.INSTANCE);
        return this;
    }

    private Behavior<Command> onGroup(GroupArrived m) {
        m.ackTo().tell(Ack.INSTANCE);
        if (done) {
            return this;
        }
        buffer.add(m.group());
        gauges.groupsBuffered.set(buffer.size());
        supply.tell(new PromptSupply.Buffered(List.of(m.group().promptKey())));
        return trainWhileReady();
    }

    private Behavior<Command> onDrain() {
        draining = true;
        return trainWhileReady();
    }

    private Behavior<Command> onStop() {
        stopRequested = true;
        return checkpointAndFinish(true);
    }

    /** Requests that arrive while this one is written merge into it (the same state is saved). */
    private Behavior<Command> onCheckpointNow() {
        return checkpoint(() -> {
            gauges.checkpointPending.set(false);
            return afterCheckpoint();
        });
    }

    private Behavior<Command> trainWhileReady() {
        while (!done && !paused && !core.finished()) {
            List<Group> stale = core.stale(buffer);
            if (!stale.isEmpty()) {
                buffer.removeAll(stale);
                core.recordStale(stale);
                gauges.groupsStale.addAndGet(stale.size());
                stale.forEach(g -> gauges.samplesDroppedStale.addAndGet(g.members().size()));
                supply.tell(new PromptSupply.Resolved(keys(stale), PromptSupply.Resolution.STALE));
                getContext().getLog().debug("dropped {} stale group(s) (older than max-staleness)", stale.size());
                continue;
            }
            Optional<List<Group>> next = core.nextBatch(buffer, draining);
            if (next.isEmpty()) {
                break;
            }
            List<Group> batch = next.get();
            buffer.removeAll(batch);
            gauges.groupsBuffered.set(buffer.size());
            try {
                core.train(batch);
            } catch (TrainingHaltedException | UncheckedIOException e) {
                return fail(e.getMessage()); // halted, or a run file cannot be written (say, a full disk)
            }
            supply.tell(new PromptSupply.Resolved(keys(batch), PromptSupply.Resolution.TRAINED));
            if (core.finished() || (draining && buffer.isEmpty())) {
                return checkpointAndFinish(false);
            }
            if (core.checkpointDue()) {
                return checkpoint(this::afterCheckpoint);
            }
        }
        if (draining && buffer.isEmpty() && !done) {
            return checkpointAndFinish(false);
        }
        return this;
    }

    private Behavior<Command> afterCheckpoint() {
        return stash.unstashAll(this.trainWhileReady());
    }

    private Behavior<Command> checkpointAndFinish(boolean interrupted) {
        done = true;
        return checkpoint(() -> {
            parent.tell(new Finished(core.step(), interrupted));
            return Behaviors.stopped();
        });
    }

    /** Asks the supply for the data position, stashing everything else until it arrives, then writes. */
    private Behavior<Command> checkpoint(Supplier<Behavior<Command>> next) {
        ActorRef<DataPosition> reply = getContext().messageAdapter(DataPosition.class, Position::new);
        supply.tell(new PromptSupply.GetState(reply));
        return Behaviors.receive(Command.class)
                .onMessage(Position.class, m -> {
                    try {
                        if (stopRequested || done) {
                            core.finalCheckpoint(m.position());
                        } else {
                            core.checkpoint(m.position());
                        }
                    } catch (CheckpointsFailedException e) {
                        parent.tell(new Failed(e.getMessage(), true));
                        return Behaviors.stopped();
                    }
                    return next.get();
                })
                .onMessage(GroupArrived.class, m -> {
                    m.ackTo().tell(Ack.INSTANCE);
                    if (!done) {
                        buffer.add(m.group());
                        supply.tell(new PromptSupply.Buffered(List.of(m.group().promptKey())));
                    }
                    return Behaviors.same();
                })
                .onAnyMessage(m -> {
                    stash.stash(m);
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> fail(String reason) {
        parent.tell(new Failed(reason, false));
        return Behaviors.stopped();
    }

    private static List<Long> keys(List<Group> groups) {
        return groups.stream().map(Group::promptKey).collect(Collectors.toList());
    }
}
