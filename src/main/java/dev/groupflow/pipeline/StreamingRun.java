package dev.groupflow.pipeline;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Runs the streaming pipeline in an actor system of its own: start it, stop it gracefully, wait for the
 * outcome. If the actor system stops without an outcome (its guardian failed), the outcome says so instead of
 * never arriving.
 */
public final class StreamingRun implements RunControl, AutoCloseable {
    private final TrainingSetup setup;
    private final ActorSystem<TrainingSupervisor.Command> system;
    private final CompletableFuture<RunResult> done = new CompletableFuture<>();
    private volatile boolean paused;

    private StreamingRun(TrainingSetup setup, StepReporter reporter, String name) {
        this.setup = setup;
        dev.groupflow.cluster.ClusterSettings cluster = setup.config.cluster();
        if (cluster.enabled()) {
            // the learner node: forms the cluster itself when it has no seed nodes
            this.system = ActorSystem.create(TrainingSupervisor.create(setup, reporter, done),
                    dev.groupflow.cluster.ClusterSettings.SYSTEM,
                    cluster.pekkoConfig("learner", cluster.seedNodes()));
            if (cluster.seedNodes().isEmpty()) { // otherwise the configured seed nodes are joined automatically
                var c = org.apache.pekko.cluster.typed.Cluster.get(system);
                c.manager().tell(new org.apache.pekko.cluster.typed.Join(c.selfMember().address()));
            }
        } else {
            this.system = ActorSystem.create(TrainingSupervisor.create(setup, reporter, done), name);
        }
        system.getWhenTerminated().thenRun(() -> done.complete(new RunResult(setup.startStep, false,
                "the actor system stopped before the run finished (see the log)")));
    }

    public static StreamingRun start(TrainingSetup setup, StepReporter reporter) {
        return new StreamingRun(setup, reporter, "groupflow");
    }

    /** Finish the current step, checkpoint, stop (what SIGINT/SIGTERM do). */
    @Override
    public void stopGracefully() {
        system.tell(TrainingSupervisor.GracefulStop.INSTANCE);
    }

    /**
     * Write a checkpoint after the current step; merged into one already asked for and not yet written (the
     * learner clears {@link PipelineGauges#checkpointPending} once it has written it).
     */
    @Override
    public boolean checkpointNow() {
        if (!setup.gauges.checkpointPending.compareAndSet(false, true)) {
            return false;
        }
        system.tell(TrainingSupervisor.CheckpointNow.INSTANCE);
        return true;
    }

    @Override
    public void pause() {
        paused = true;
        system.tell(TrainingSupervisor.Pause.INSTANCE);
    }

    @Override
    public void resume() {
        paused = false;
        system.tell(TrainingSupervisor.Resume.INSTANCE);
    }

    @Override
    public boolean paused() {
        return paused;
    }

    /** This node's cluster address (when clustered), for workers' --seed-nodes. */
    public String address() {
        return system.address().toString();
    }

    /** The run's actor system (to serve a dashboard from it, for instance). */
    public ActorSystem<TrainingSupervisor.Command> system() {
        return system;
    }

    /** Waits for the outcome, then for the actor system to stop. */
    public RunResult await(Duration timeout) throws InterruptedException, TimeoutException {
        try {
            return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return new RunResult(setup.startStep, false, String.valueOf(e.getCause()));
        }
    }

    /** Stops the actor system and waits (up to a minute) until it has. */
    @Override
    public void close() throws InterruptedException {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the actor system did not stop within a minute", e);
        }
    }
}
