package dev.groupflow.run;

import dev.groupflow.cluster.ClusterSettings;
import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.metrics.RunControl;
import dev.groupflow.pipeline.RunResult;
import dev.groupflow.pipeline.StepReporter;
import dev.groupflow.pipeline.TrainingSupervisor;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * Runs the streaming pipeline in an actor system of its own: start it, stop it gracefully, wait for the
 * outcome. If the actor system stops without an outcome (its guardian failed), the outcome says so instead of
 * never arriving.
 */
public final class StreamingRun implements RunControl, AutoCloseable {
    private final RunAssembly run;
    private final ActorSystem<TrainingSupervisor.Command> system;
    private final CompletableFuture<RunResult> done = new CompletableFuture<>();
    private volatile boolean paused;

    private StreamingRun(RunAssembly run, StepReporter reporter, String name) {
        this.run = run;
        ClusterSettings cluster = run.config().cluster();
        Behavior<TrainingSupervisor.Command> supervisor = TrainingSupervisor.create(run.stages(reporter), done);
        if (cluster.enabled()) {
            // the learner node: forms the cluster itself when it has no seed nodes
            this.system = ActorSystem.create(supervisor, ClusterSettings.SYSTEM,
                    cluster.pekkoConfig("learner", cluster.seedNodes()));
            if (cluster.seedNodes().isEmpty()) { // otherwise the configured seed nodes are joined automatically
                Cluster c = Cluster.get(system);
                c.manager().tell(new Join(c.selfMember().address()));
            }
        } else {
            this.system = ActorSystem.create(supervisor, name);
        }
        system.getWhenTerminated().thenRun(() -> done.complete(new RunResult.Failed(run.start().step(),
                "the actor system stopped before the run finished (see the log)")));
    }

    public static StreamingRun start(RunAssembly run, StepReporter reporter) {
        return new StreamingRun(run, reporter, "groupflow");
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
        if (!run.gauges().checkpointPending.compareAndSet(false, true)) {
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
            return new RunResult.Failed(run.start().step(), String.valueOf(e.getCause()));
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
