package dev.groupflow.pipeline;

import dev.groupflow.CborSerializable;
import dev.groupflow.agent.EnvironmentCalls;
import dev.groupflow.agent.Episode;
import dev.groupflow.agent.EpisodeLimits;
import dev.groupflow.agent.EpisodeRunner;
import dev.groupflow.agent.EpisodeSpec;
import dev.groupflow.agent.TurnFormat;
import dev.groupflow.data.Prompt;
import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.sampling.SampleRng;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.sampling.TurnSampler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The episode stage of an agent run, in the sampler's place: for each task the {@link PromptSupply} grants it
 * plays G episodes against the environment ({@link EpisodeRunner}: the ready episodes of all granted tasks are
 * sampled together, each continuing its own KV cache; an episode waiting for its environment is simply not in the
 * next batch, so a slow environment holds only its own episode), and as soon as the G episodes of a task have all
 * ended it puts the task's {@link Group} ({@link EpisodeGroups}) into the stream, straight to the learner: the
 * environment gave the rewards. Between grants it copies the newest published weights, as {@link SamplerActor}
 * does; it runs on its own pinned thread.
 */
public final class EpisodeSamplerActor extends AbstractBehavior<EpisodeSamplerActor.Command> {

    public sealed interface Command extends CborSerializable {
    }

    /** Separates the environment seeds' random numbers from sampling's. */
    private static final long ENVIRONMENT_SALT = -0x656e76L;

    /** Tasks arrived from the supply (wrapped {@link PromptSupply.Granted}). */
    public record TasksGranted(PromptSupply.Granted granted) implements Command {
    }

    /**
     * How the stage is set up; the replica is its own (created and freed by it).
     *
     * @param id its name towards the supply
     * @param replicaFactory a fresh replica of the published policy (called again after each restart)
     * @param format how a conversation becomes tokens (given the tokenizer)
     * @param environment the environment, with timeout and retries
     * @param limits max turns, max tokens per episode, max tokens per turn
     * @param params sampling of every turn
     * @param groupSize G, episodes per task
     * @param seed the run's seed (sampling, and each task's environment seed)
     * @param batchPrompts tasks to ask for at a time
     * @param exactVersions deterministic mode's version rule (and lockstep batches); empty: newest weights
     * @param attempts numbers episode ids uniquely within the process (a restarted stage plays tasks again)
     */
    public record Settings(String id, Supplier<CausalLm> replicaFactory, TextTokenizer tokenizer, WeightStore weights,
                           TurnFormat format, EnvironmentCalls environment, EpisodeLimits limits,
                           SamplingParams params, int groupSize, long seed, int batchPrompts,
                           Optional<SamplerActor.ExactVersions> exactVersions, PipelineGauges gauges,
                           AtomicLong attempts) {
    }

    /** An episode stage asking {@code supply} for tasks and putting finished groups into {@code groups}. */
    public static Behavior<Command> create(Settings settings, ActorRef<PromptSupply.Command> supply,
                                           RolloutQueue groups) {
        return Behaviors.setup(ctx -> new EpisodeSamplerActor(ctx, settings, supply, groups));
    }

    private final Settings settings;
    private final ActorRef<PromptSupply.Command> supply;
    private final RolloutQueue groups;
    private final CausalLm replica;
    private final EpisodeRunner runner;
    private final TurnSampler turnSampler;
    private TurnSampler.Stats published = new TurnSampler.Stats(0, 0, 0, 0); // what the gauges have of it
    private final ActorRef<PromptSupply.Granted> grantedAdapter;
    private final ReplicaWeights replicaWeights;

    private EpisodeSamplerActor(ActorContext<Command> ctx, Settings settings, ActorRef<PromptSupply.Command> supply,
                                RolloutQueue groups) {
        super(ctx);
        this.settings = settings;
        this.supply = supply;
        this.groups = groups;
        this.replicaWeights = ReplicaWeights.open(settings.replicaFactory(), settings.weights(),
                settings.exactVersions());
        this.replica = replicaWeights.replica();
        this.turnSampler = new TurnSampler(replica, settings.tokenizer(),
                settings.format().turnEnds(settings.tokenizer().eosIds()));
        this.runner = new EpisodeRunner(turnSampler, settings.format(),
                settings.environment(), settings.limits(), settings.params(),
                Math.max(1, settings.batchPrompts() * settings.groupSize()), settings.exactVersions().isPresent());
        this.grantedAdapter = ctx.messageAdapter(PromptSupply.Granted.class, TasksGranted::new);
        supply.tell(new PromptSupply.SamplerRestarted(settings.id())); // recover a crashed run's grants
        requestWork();
    }

    private void requestWork() {
        supply.tell(new PromptSupply.RequestPrompts(settings.id(), settings.batchPrompts(), grantedAdapter));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(TasksGranted.class, this::onGranted)
                .onSignal(PreRestart.class, s -> release())
                .onSignal(PostStop.class, s -> release())
                .build();
    }

    private Behavior<Command> release() {
        replica.close();
        return this;
    }

    private Behavior<Command> onGranted(TasksGranted g) throws InterruptedException {
        List<PromptWork> tasks = g.granted().prompts();
        if (tasks.isEmpty()) {
            return this; // the data has run out: nothing more to do
        }
        replicaWeights.forEachVersion(tasks, this::play);
        if (groups.closed()) {
            return Behaviors.stopped(); // the run has ended: its tasks are not needed any more
        }
        supply.tell(new PromptSupply.Dispatched(settings.id(), tasks.stream().map(PromptWork::key).toList()));
        requestWork();
        return this;
    }

    /** Plays G episodes of each task with the replica's weights; each task's group leaves as soon as it is whole. */
    private void play(List<PromptWork> tasks, long version) throws InterruptedException {
        int g = settings.groupSize();
        long attempt = settings.attempts().getAndIncrement();
        Map<Long, PromptWork> byKey = new HashMap<>();
        Map<Long, List<Episode>> ended = new HashMap<>();
        List<EpisodeSpec> specs = new ArrayList<>(tasks.size() * g);
        for (PromptWork p : tasks) {
            byKey.put(p.key(), p);
            Prompt task = new Prompt(p.id(), p.messages() == null ? p.text() : null, p.messages(), p.answer(),
                    p.metadata());
            long environmentSeed = (long) (SampleRng.uniform(settings.seed(), ENVIRONMENT_SALT, p.key(), 0, 0)
                    * Long.MAX_VALUE);
            for (int i = 0; i < g; i++) {
                specs.add(new EpisodeSpec("p" + p.key() + "/s" + i + "/a" + attempt, p.key(), i, task,
                        environmentSeed));
            }
        }
        runner.run(specs, settings.seed(), 0, version, e -> {
            publishTurnStats();
            settings.gauges().samplesGenerated.incrementAndGet();
            settings.gauges().tokensGenerated.addAndGet(e.policyTokens());
            List<Episode> done = ended.computeIfAbsent(e.episodeKey(), k -> new ArrayList<>());
            done.add(e);
            if (done.size() == g) {
                groups.offer(EpisodeGroups.of(byKey.get(e.episodeKey()), done, version));
            }
        }, groups::closed); // once the run is over, episodes still going are abandoned between two turns
        publishTurnStats();
    }

    /** Adds what the turn sampler did since the last call to the run's gauges (metrics.jsonl, Prometheus). */
    private void publishTurnStats() {
        TurnSampler.Stats now = turnSampler.stats();
        settings.gauges().turnsSampled.addAndGet(now.turns() - published.turns());
        settings.gauges().turnsDiverged.addAndGet(now.divergedTurns() - published.divergedTurns());
        settings.gauges().turnTokensReused.addAndGet(now.reusedTokens() - published.reusedTokens());
        settings.gauges().turnTokensComputed.addAndGet(now.computedTokens() - published.computedTokens());
        published = now;
    }
}
