package dev.groupflow.embed;

import dev.groupflow.CborSerializable;
import dev.groupflow.agent.ActorEnvironment;
import dev.groupflow.agent.Environment;
import dev.groupflow.data.Prompt;
import dev.groupflow.metrics.ProgressLine;
import dev.groupflow.pipeline.RunResult;
import dev.groupflow.pipeline.StepReporter;
import dev.groupflow.pipeline.StreamPromptSource;
import dev.groupflow.pipeline.TrainingSupervisor;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import dev.groupflow.verify.Verifier;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.stream.javadsl.Source;

/**
 * GRPO training as an actor of an existing {@link org.apache.pekko.actor.typed.ActorSystem}: spawn it where the
 * application wants it, send {@link Start}, and control and observe it with messages. It never calls
 * {@code System.exit}; stopping it (or its host) stops training and frees the model's native memory.
 *
 * <pre>{@code
 * ActorRef<GrpoTraining.Command> training = context.spawn(GrpoTraining.builder()
 *         .set("train.steps=500").runDir(Path.of("runs/embedded"))
 *         .prompts(myPromptSource)                 // any Source<Prompt, ?>
 *         .verifier(new ActorVerifier(myScorer, context.getSystem().scheduler(), Duration.ofSeconds(30)))
 *         .onMetrics(line -> myDashboard.update(line))
 *         .build(), "training");
 * training.tell(new GrpoTraining.Subscribe(eventsAdapter));
 * training.tell(GrpoTraining.Start.INSTANCE);
 * }</pre>
 *
 * <p>An agent run ({@code task.name = guess}) plays its episodes against {@link Builder#environment} when given: an
 * actor of the application speaking the {@link ActorEnvironment} protocol, or any {@link Environment}
 * (docs/agents.md, "Embedding an actor environment").
 */
public final class GrpoTraining extends AbstractBehavior<GrpoTraining.Command> {

    public sealed interface Command extends CborSerializable {
    }

    /** Build the policy and start training (the model loads on a blocking dispatcher, not the caller's). */
    public enum Start implements Command { INSTANCE }

    public enum Pause implements Command { INSTANCE }

    public enum Resume implements Command { INSTANCE }

    public enum CheckpointNow implements Command { INSTANCE }

    /**
     * Finish the current step, checkpoint, and stop training (the actor stays to answer {@link GetStatus}). Sent
     * while training is still starting, it ends training before its first step ({@link Finished} with
     * {@code interrupted}); Pause, Resume and CheckpointNow sent then are applied, in order, once it runs.
     */
    public enum Stop implements Command { INSTANCE }

    public record GetStatus(ActorRef<Status> replyTo) implements Command {
    }

    /** Receive {@link Event}s from now on. */
    public record Subscribe(ActorRef<Event> subscriber) implements Command {
    }

    public record Unsubscribe(ActorRef<Event> subscriber) implements Command {
    }

    /**
     * A snapshot of the training.
     *
     * @param state idle | starting | running | paused | finished | failed
     * @param step learner steps completed
     * @param totalSteps steps configured
     * @param lastMetrics the latest metrics line (empty before the first step)
     * @param failure why it failed, or null
     */
    public record Status(String state, long step, long totalSteps, Map<String, Object> lastMetrics, String failure)
            implements CborSerializable {
    }

    /** What subscribers receive. */
    public sealed interface Event extends CborSerializable
            permits Started, StepCompleted, Paused, Resumed, Finished, Failed {
    }

    public record Started(String runDir) implements Event {
    }

    public record StepCompleted(Map<String, Object> metrics) implements Event {
    }

    public record Paused() implements Event {
    }

    public record Resumed() implements Event {
    }

    public record Finished(long steps, boolean interrupted) implements Event {
    }

    public record Failed(String reason) implements Event {
    }

    /** The run has been assembled (on the blocking dispatcher), or could not be. */
    private sealed interface Assembled extends Command permits Ready, CouldNotStart {
    }

    private record Ready(RunAssembly assembly) implements Assembled {
    }

    private record CouldNotStart(String reason) implements Assembled {
    }

    private record StepLine(Map<String, Object> metrics) implements Command {
    }

    private record RunDone(RunResult result) implements Command {
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How the training is set up: configuration keys, run directory, and what the application supplies. */
    public static final class Builder {
        private final List<String> sets = new ArrayList<>();
        private Path configFile;
        private Path runDir = Path.of("runs", "embedded");
        private boolean resume;
        private Source<Prompt, ?> prompts;
        private Verifier verifier;
        private Environment environment;
        private ActorRef<ActorEnvironment.Command> environmentActor;
        private final List<Consumer<Map<String, Object>>> listeners = new ArrayList<>();

        /** A key of conf/groupflow.conf, as {@code key=value} (repeatable). */
        public Builder set(String keyValue) {
            sets.add(keyValue);
            return this;
        }

        public Builder configFile(Path file) {
            this.configFile = file;
            return this;
        }

        public Builder runDir(Path dir) {
            this.runDir = dir;
            return this;
        }

        /** Continue from the newest checkpoint in the run directory. */
        public Builder resume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /**
         * Prompts from a stream of the application's (instead of data.prompts or the built-in task); in an agent
         * run, its tasks, each handed to the environment as it is.
         */
        public Builder prompts(Source<Prompt, ?> source) {
            this.prompts = source;
            return this;
        }

        /** The reward function (instead of verifier.name), for example an {@code ActorVerifier}. */
        public Builder verifier(Verifier verifier) {
            this.verifier = verifier;
            return this;
        }

        /**
         * An agent run's environment (instead of the built-in guess game): any {@link Environment}. Tasks come
         * from the built-in agent task ({@code task.name = guess}, {@code agent.guess}; the hidden string is the
         * row's {@code answer}), from {@code data.prompts}, or from {@link #prompts}: each episode's
         * {@code EpisodeStart.task} carries one as it was given, and the environment answers the policy's turns.
         * Calls go through the {@code agent} section's timeout and retries; the run closes the environment when it
         * ends.
         */
        public Builder environment(Environment environment) {
            this.environment = environment;
            this.environmentActor = null;
            return this;
        }

        /**
         * An agent run's environment that is an actor of the application speaking the {@link ActorEnvironment}
         * protocol (spawn it under {@link ActorEnvironment#supervised}). Each ask waits half of
         * {@code agent.timeout}, so a message lost in a crash is retried within the call's timeout.
         */
        public Builder environment(ActorRef<ActorEnvironment.Command> actor) {
            this.environmentActor = actor;
            this.environment = null;
            return this;
        }

        /** Called with each step's metrics line, on the learner's thread: keep it quick. */
        public Builder onMetrics(Consumer<Map<String, Object>> listener) {
            listeners.add(listener);
            return this;
        }

        /** Checks the configuration now (every problem at once) and returns the behavior. */
        public Behavior<Command> build() {
            List<String> all = new ArrayList<>(sets);
            all.add("run-dir=" + runDir);
            RunConfig config = RunConfig.load(configFile, all);
            if ((environment != null || environmentActor != null) && !config.task().agent()) {
                throw new IllegalArgumentException("environment(...): an environment needs an agent run "
                        + "(task.name = guess), not task.name = " + config.task().name());
            }
            Builder b = this;
            return Behaviors.setup(ctx -> new GrpoTraining(ctx, config, b));
        }
    }

    private final RunConfig config;
    private final Builder builder;
    private final Set<ActorRef<Event>> subscribers = new HashSet<>();
    private final Executor blocking;
    private RunAssembly assembly;
    private ActorRef<TrainingSupervisor.Command> supervisor;
    private String state = "idle";
    /** Controls that arrived while the pipeline was being built, applied in order once it runs. */
    private final List<Command> early = new ArrayList<>();
    private CompletableFuture<RunAssembly> building;
    private boolean adopted;
    private String failure;
    private long step;
    private Map<String, Object> last = Map.of();

    private GrpoTraining(ActorContext<Command> ctx, RunConfig config, Builder builder) {
        super(ctx);
        this.config = config;
        this.builder = builder;
        this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessageEquals(Start.INSTANCE, this::onStart)
                .onMessage(Ready.class, this::onReady)
                .onMessage(CouldNotStart.class, m -> fail("could not start: " + m.reason()))
                .onMessage(StepLine.class, this::onStep)
                .onMessage(RunDone.class, this::onRunDone)
                .onMessageEquals(Pause.INSTANCE, () -> onControl(Pause.INSTANCE))
                .onMessageEquals(Resume.INSTANCE, () -> onControl(Resume.INSTANCE))
                .onMessageEquals(CheckpointNow.INSTANCE, () -> onControl(CheckpointNow.INSTANCE))
                .onMessageEquals(Stop.INSTANCE, () -> onControl(Stop.INSTANCE))
                .onMessage(GetStatus.class, m -> {
                    m.replyTo().tell(new Status(state, step, config.train().steps(), last, failure));
                    return this;
                })
                .onMessage(Subscribe.class, m -> {
                    subscribers.add(m.subscriber());
                    getContext().watch(m.subscriber());
                    return this;
                })
                .onMessage(Unsubscribe.class, m -> {
                    subscribers.remove(m.subscriber());
                    return this;
                })
                .onSignal(Terminated.class, t -> {
                    if (t.getRef().equals(supervisor)) {
                        supervisor = null;
                        closeAssembly();
                    } else {
                        subscribers.removeIf(s -> s.equals(t.getRef()));
                    }
                    return this;
                })
                .onSignal(PostStop.class, s -> {
                    closeAssembly();
                    if (!adopted && building != null) {
                        // stopped while the run was still being assembled: free it whenever it is done
                        building.thenAccept(RunAssembly::close);
                    }
                    return this;
                })
                .build();
    }

    private Behavior<Command> onStart() {
        if (!state.equals("idle")) {
            return this;
        }
        state = "starting";
        int keep = Math.max(1024, 4 * (config.pipeline().maxStaleness() + 1) * config.train().batchGroups());
        Optional<Environment> environment = environment(); // the actor's context is read here, not on the dispatcher
        building = CompletableFuture.supplyAsync(() -> {
            StreamPromptSource stream = builder.prompts == null ? null
                    : new StreamPromptSource(builder.prompts, getContext().getSystem(), keep, Duration.ofMinutes(10));
            return RunAssembly.create(config, config.resolvedRunDir(), builder.resume,
                    new RunAssembly.Overrides(Optional.ofNullable(stream), Optional.ofNullable(builder.verifier),
                            environment));
        }, blocking);
        getContext().pipeToSelf(building, (assembled, e) -> e == null ? new Ready(assembled)
                : new CouldNotStart(e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        return this;
    }

    /** The application's environment, if it gave one: an actor is asked through {@link ActorEnvironment}. */
    private Optional<Environment> environment() {
        if (builder.environmentActor != null) {
            return Optional.of(new ActorEnvironment(builder.environmentActor, getContext().getSystem().scheduler(),
                    config.agent().timeout().dividedBy(2)));
        }
        return Optional.ofNullable(builder.environment);
    }

    private Behavior<Command> onReady(Ready ready) {
        assembly = ready.assembly();
        adopted = true;
        if (early.contains(Stop.INSTANCE)) {
            // stopped before it ran: nothing trained, nothing to checkpoint
            step = assembly.start().step();
            closeAssembly();
            state = "finished";
            publish(new Finished(step, true));
            return this;
        }
        StepReporter reporter = assembly.reporter(ProgressLine.plain(new PrintStream(OutputStream.nullOutputStream())),
                Integer.MAX_VALUE, config.log().completionsEvery());
        ActorRef<Command> self = getContext().getSelf();
        reporter.addListener(line -> self.tell(new StepLine(line)));
        builder.listeners.forEach(reporter::addListener);
        CompletableFuture<RunResult> done = new CompletableFuture<>();
        supervisor = getContext().spawn(TrainingSupervisor.create(assembly.stages(reporter), done), "pipeline");
        // the run's resources are freed only once the pipeline and all its stages have stopped
        getContext().watch(supervisor);
        getContext().pipeToSelf(done, (r, e) -> new RunDone(e == null ? r
                : new RunResult.Failed(step, String.valueOf(e))));
        state = "running";
        publish(new Started(assembly.files().dir().toString()));
        early.forEach(this::onControl);
        early.clear();
        return this;
    }

    private Behavior<Command> onControl(Command c) {
        if (state.equals("starting")) {
            early.add(c);
            return this;
        }
        if (c == Pause.INSTANCE) {
            return control(TrainingSupervisor.Pause.INSTANCE, "paused", new Paused());
        } else if (c == Resume.INSTANCE) {
            return control(TrainingSupervisor.Resume.INSTANCE, "running", new Resumed());
        } else if (c == CheckpointNow.INSTANCE) {
            return control(TrainingSupervisor.CheckpointNow.INSTANCE, null, null);
        }
        return control(TrainingSupervisor.GracefulStop.INSTANCE, null, null);
    }

    private Behavior<Command> onStep(StepLine m) {
        last = m.metrics();
        step = ((Number) m.metrics().get("step")).longValue();
        publish(new StepCompleted(m.metrics()));
        return this;
    }

    private Behavior<Command> onRunDone(RunDone d) {
        RunResult r = d.result();
        if (r instanceof RunResult.Failed f) {
            return fail(f.reason());
        }
        state = "finished";
        step = r.steps();
        publish(new Finished(r.steps(), r instanceof RunResult.Interrupted));
        return this;
    }

    private Behavior<Command> control(TrainingSupervisor.Command command, String newState, Event event) {
        if (supervisor != null && (state.equals("running") || state.equals("paused"))) {
            supervisor.tell(command);
            if (newState != null) {
                state = newState;
            }
            if (event != null) {
                publish(event);
            }
        }
        return this;
    }

    private Behavior<Command> fail(String reason) {
        state = "failed";
        failure = reason;
        publish(new Failed(reason));
        return this;
    }

    private void publish(Event e) {
        subscribers.forEach(s -> s.tell(e));
    }

    private void closeAssembly() {
        if (assembly != null) {
            assembly.close();
            assembly = null;
        }
    }
}
