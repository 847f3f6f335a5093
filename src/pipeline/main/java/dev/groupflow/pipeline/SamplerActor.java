package dev.groupflow.pipeline;

import dev.groupflow.CborSerializable;
import dev.groupflow.grpo.GuidanceSchedule;
import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
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
 * Generates completions. Holds a replica of the policy; between batches it copies the newest published weights
 * (if any) from the {@link WeightStore}, asks the {@link PromptSupply} for up to {@code batchPrompts} prompts,
 * samples G completions of each, and pushes the rollouts into the verifier stage. Runs on its own pinned thread
 * (PyTorch state is per thread; sampling turns grad mode off there).
 */
public final class SamplerActor extends AbstractBehavior<SamplerActor.Command> {

    public sealed interface Command extends CborSerializable {
    }

    /** Prompts arrived from the supply (wrapped {@link PromptSupply.Granted}). */
    public record PromptsGranted(PromptSupply.Granted granted) implements Command {
    }

    /**
     * How the sampler is set up; the replica is its own (created and freed by it).
     *
     * @param id its name towards the supply
     * @param replicaFactory a fresh replica of the published policy (called again after each restart)
     * @param weights where new weights are published
     * @param sampling G, the sampling settings and the seed
     * @param batchPrompts prompts to ask for at a time
     * @param exactVersions deterministic mode's version rule; empty: sample with the newest weights
     * @param guidance G²RPO-A's ℓ by policy version, or null without guided completions
     */
    public record Settings(String id, Supplier<CausalLm> replicaFactory, TextTokenizer tokenizer, WeightStore weights,
                           RolloutSampler.Settings sampling, int batchPrompts, Optional<ExactVersions> exactVersions,
                           PipelineGauges gauges, GuidanceSchedule guidance) {

        /** A sampler without guided completions. */
        public Settings(String id, Supplier<CausalLm> replicaFactory, TextTokenizer tokenizer, WeightStore weights,
                        RolloutSampler.Settings sampling, int batchPrompts, Optional<ExactVersions> exactVersions,
                        PipelineGauges gauges) {
            this(id, replicaFactory, tokenizer, weights, sampling, batchPrompts, exactVersions, gauges, null);
        }

        /** The sampler of the pipeline on a replica. */
        RolloutSampler rolloutSampler(CausalLm replica) {
            return new RolloutSampler(replica, tokenizer, sampling, guidance);
        }
    }

    /**
     * Deterministic mode: prompt of admission ordinal o is sampled with version max(0, o / B − S) exactly, the
     * version its batch position implies, whatever the timing.
     */
    public record ExactVersions(int batchGroups, int maxStaleness) {
        long versionFor(long ordinal) {
            return Math.max(0, ordinal / batchGroups - maxStaleness);
        }
    }

    /** A sampler asking {@code supply} for prompts and putting its rollouts into {@code rollouts}. */
    public static Behavior<Command> create(Settings settings, ActorRef<PromptSupply.Command> supply,
                                           RolloutQueue rollouts) {
        return Behaviors.setup(ctx -> new SamplerActor(ctx, settings, supply, rollouts));
    }

    private final Settings settings;
    private final ActorRef<PromptSupply.Command> supply;
    private final RolloutQueue rollouts;
    private final CausalLm replica;
    private final RolloutSampler sampler;
    private final ActorRef<PromptSupply.Granted> grantedAdapter;
    private final ReplicaWeights replicaWeights;

    private SamplerActor(ActorContext<Command> ctx, Settings settings, ActorRef<PromptSupply.Command> supply,
                         RolloutQueue rollouts) {
        super(ctx);
        this.settings = settings;
        this.supply = supply;
        this.rollouts = rollouts;
        this.replicaWeights = ReplicaWeights.open(settings.replicaFactory(), settings.weights(),
                settings.exactVersions());
        this.replica = replicaWeights.replica();
        this.sampler = settings.rolloutSampler(replica);
        this.grantedAdapter = ctx.messageAdapter(PromptSupply.Granted.class, PromptsGranted::new);
        supply.tell(new PromptSupply.SamplerRestarted(settings.id())); // recover a crashed run's grants
        requestWork();
    }

    private void requestWork() {
        supply.tell(new PromptSupply.RequestPrompts(settings.id(), settings.batchPrompts(), grantedAdapter));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(PromptsGranted.class, this::onGranted)
                .onSignal(PreRestart.class, s -> release())
                .onSignal(PostStop.class, s -> release())
                .build();
    }

    private Behavior<Command> release() {
        replica.close();
        return this;
    }

    private void generate(List<PromptWork> prompts, long withVersion, List<Long> keys) {
        // once the run is over (its stream closed) a batch is abandoned between two tokens: a real-size batch can
        // take minutes, longer than the actor system waits for its actors to stop
        for (Rollout r : sampler.sample(prompts, withVersion, rollouts::closed)) {
            settings.gauges().samplesGenerated.incrementAndGet();
            settings.gauges().tokensGenerated.addAndGet(r.tokens().length);
            rollouts.offer(r);
        }
        prompts.forEach(p -> keys.add(p.key()));
    }

    private Behavior<Command> onGranted(PromptsGranted g) {
        try {
            return sample(g);
        } catch (CancellationException e) {
            return Behaviors.stopped(); // the run has ended: its prompts are not needed any more
        }
    }

    private Behavior<Command> sample(PromptsGranted g) {
        List<PromptWork> prompts = g.granted().prompts();
        if (prompts.isEmpty()) {
            return this; // the data has run out: nothing more to do
        }
        List<Long> keys = new ArrayList<>(prompts.size());
        replicaWeights.forEachVersion(prompts, (some, version) -> generate(some, version, keys));
        supply.tell(new PromptSupply.Dispatched(settings.id(), keys));
        requestWork();
        return this;
    }
}
