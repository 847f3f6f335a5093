package dev.groupflow.cluster;

import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.pipeline.PromptSupply;
import dev.groupflow.pipeline.PromptWork;
import dev.groupflow.pipeline.Rollout;
import dev.groupflow.pipeline.RolloutQueue;
import dev.groupflow.pipeline.RolloutSampler;
import dev.groupflow.pipeline.WeightStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.delivery.ConsumerController;
import org.apache.pekko.actor.typed.delivery.WorkPullingProducerController;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * The sampler stage when sampling runs on sampler workers. Towards the supply it behaves like a local sampler
 * (asks for prompts, reports them dispatched when their rollouts arrive); towards the workers it is a
 * work-pulling producer of {@link SampleJob}s. Each policy version a job needs is written once as a checkpoint
 * directory under {@code weightsRoot} (the weights go out of band; jobs only name the version and the directory).
 * A worker that dies before confirming has its job re-sent; a failed job is queued again; duplicate rollouts are
 * dropped downstream by the group assembler.
 */
public final class RemoteSamplerBridge extends AbstractBehavior<RemoteSamplerBridge.Command> {
    /** Where sampler workers register their consumers. */
    public static final ServiceKey<ConsumerController.Command<SampleJob>> KEY =
            ServiceKey.create(ConsumerController.serviceKeyClass(), "groupflow-sampler");
    public static final String ID = "remote-samplers";

    public sealed interface Command {
    }

    private record Granted(PromptSupply.Granted granted) implements Command {
    }

    private record Next(WorkPullingProducerController.RequestNext<SampleJob> next) implements Command {
    }

    private record Answered(SampleAnswer answer) implements Command {
    }

    /**
     * How the bridge is set up.
     *
     * @param weights the published weights
     * @param replica a fresh replica of the newest weights (to write a version out)
     * @param tokenizerFiles writes the tokenizer's files next to each shared version
     * @param weightsRoot where shared versions are written ({@code v-N} directories every node can read)
     * @param sampling G, the sampling settings and the seed, sent with each job
     * @param batchPrompts prompts per job
     * @param jobsInFlight jobs out at workers at once
     * @param keepVersions shared versions kept behind the newest (while no job needs them)
     */
    public record Settings(WeightStore weights, Supplier<CausalLm> replica, Consumer<Path> tokenizerFiles,
                           Path weightsRoot, RolloutSampler.Settings sampling, int batchPrompts, int jobsInFlight,
                           int keepVersions, PipelineGauges gauges) {
    }

    /** The bridge, asking {@code supply} for prompts and putting the workers' rollouts into {@code rollouts}. */
    public static Behavior<Command> create(Settings settings, ActorRef<PromptSupply.Command> supply,
                                           RolloutQueue rollouts) {
        return Behaviors.setup(ctx -> new RemoteSamplerBridge(ctx, settings, supply, rollouts));
    }

    private final Settings settings;
    private final ActorRef<PromptSupply.Command> supply;
    private final RolloutQueue rollouts;
    private final ActorRef<PromptSupply.Granted> grants;
    private final ActorRef<SampleAnswer> answers;
    private final Deque<SampleJob> queue = new ArrayDeque<>();
    private final Map<Long, SampleJob> inFlight = new HashMap<>();
    private ActorRef<SampleJob> sendTo;
    private boolean requesting;
    private boolean exhausted;
    private long nextId;
    private final Set<String> workersSeen = new HashSet<>();

    private RemoteSamplerBridge(ActorContext<Command> ctx, Settings settings, ActorRef<PromptSupply.Command> supply,
                                RolloutQueue rollouts) {
        super(ctx);
        this.settings = settings;
        this.supply = supply;
        this.rollouts = rollouts;
        ActorRef<WorkPullingProducerController.Command<SampleJob>> producer = ctx.spawn(
                WorkPullingProducerController.create(SampleJob.class, "sample-jobs", KEY, Optional.empty()),
                "producer");
        producer.tell(new WorkPullingProducerController.Start<>(
                ctx.messageAdapter(WorkPullingProducerController.requestNextClass(), Next::new)));
        this.grants = ctx.messageAdapter(PromptSupply.Granted.class, Granted::new);
        this.answers = ctx.messageAdapter(SampleAnswer.class, Answered::new);
        supply.tell(new PromptSupply.SamplerRestarted(ID)); // recover what a failed bridge held
        requestMore();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Granted.class, this::onGranted)
                .onMessage(Next.class, n -> {
                    sendTo = n.next().sendNextTo();
                    flush();
                    return this;
                })
                .onMessage(Answered.class, this::onAnswer)
                .build();
    }

    private void requestMore() {
        if (!requesting && !exhausted && inFlight.size() < settings.jobsInFlight()) {
            requesting = true;
            supply.tell(new PromptSupply.RequestPrompts(ID, settings.batchPrompts(), grants));
        }
    }

    private Behavior<Command> onGranted(Granted g) {
        requesting = false;
        List<PromptWork> prompts = g.granted().prompts();
        if (prompts.isEmpty()) {
            exhausted = g.granted().exhausted();
            return this;
        }
        Shared shared = newestWeights();
        long version = shared.version();
        Path dir = shared.dir();
        SampleJob job = new SampleJob(++nextId, prompts, settings.sampling(), version, dir.toString(), answers);
        inFlight.put(job.id(), job);
        queue.add(job);
        flush();
        requestMore();
        return this;
    }

    private Behavior<Command> onAnswer(Answered a) {
        SampleAnswer answer = a.answer();
        SampleJob job = inFlight.get(answer.id());
        if (job == null) {
            return this; // a duplicate after a re-sent job
        }
        if (answer.failure() != null) {
            getContext().getLog().warn("sampler worker {} failed a job ({}); sending it again", answer.worker(),
                    answer.failure());
            queue.add(job);
            flush();
            return this;
        }
        inFlight.remove(answer.id());
        if (workersSeen.add(answer.worker())) {
            getContext().getLog().info("sampler worker {} answered its first job", answer.worker());
        }
        for (Rollout r : answer.rollouts()) {
            settings.gauges().samplesGenerated.incrementAndGet();
            settings.gauges().tokensGenerated.addAndGet(r.tokens().length);
            rollouts.offer(r);
        }
        supply.tell(new PromptSupply.Dispatched(ID, job.prompts().stream().map(PromptWork::key).toList()));
        requestMore();
        return this;
    }

    private void flush() {
        if (sendTo != null && !queue.isEmpty()) {
            sendTo.tell(queue.poll());
            sendTo = null;
        }
    }

    /** A version of the weights and the directory that holds it. */
    private record Shared(long version, Path dir) {
    }

    /**
     * The newest weights as a checkpoint directory, written (atomically) the first time a job needs that version.
     * The version is the one actually copied: the learner may publish a newer one meanwhile, and the store may
     * then no longer keep the one read a moment before.
     */
    private Shared newestWeights() {
        long newest = settings.weights().version();
        Path existing = settings.weightsRoot().resolve("v-" + newest);
        if (Files.isDirectory(existing)) {
            return new Shared(newest, existing);
        }
        try {
            Files.createDirectories(settings.weightsRoot());
            Path tmp = Files.createTempDirectory(settings.weightsRoot(), "writing-");
            long version;
            try (CausalLm replica = settings.replica().get()) {
                version = settings.weights().copyInto(replica);
                HfCheckpoints.save(replica, tmp, HfCheckpoints.DEFAULT_MAX_SHARD_BYTES);
            }
            settings.tokenizerFiles().accept(tmp);
            Path dir = settings.weightsRoot().resolve("v-" + version);
            if (Files.isDirectory(dir)) {
                deleteTree(tmp); // written by this bridge before a restart: the same weights
            } else {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            }
            prune(version);
            return new Shared(version, dir);
        } catch (Exception e) {
            throw new IllegalStateException("cannot share the weights of version " + newest + " in "
                    + settings.weightsRoot() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Empties the weights directory of a run at the start of a process: versions left by an earlier process of the
     * run (one that crashed, before a resume) may hold other weights under the same version numbers.
     */
    public static void clearShared(Path weightsRoot) {
        try {
            deleteTree(weightsRoot);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + weightsRoot + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> w = Files.walk(p)) {
            for (Path f : w.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    private void prune(long newest) {
        try (Stream<Path> s = Files.list(settings.weightsRoot())) {
            for (Path p : s.filter(x -> x.getFileName().toString().matches("v-\\d+")).toList()) {
                long v = Long.parseLong(p.getFileName().toString().substring(2));
                boolean needed = inFlight.values().stream().anyMatch(j -> j.version() == v);
                if (v < newest - settings.keepVersions() && !needed) {
                    deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
