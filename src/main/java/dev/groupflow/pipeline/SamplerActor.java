package dev.groupflow.pipeline;

import dev.groupflow.model.CausalLm;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
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

    public interface Command extends CborSerializable {
    }

    /** Prompts arrived from the supply (wrapped {@link PromptSupply.Granted}). */
    public record PromptsGranted(PromptSupply.Granted granted) implements Command {
    }

    /** Finish the batch in hand and stop asking for work. */
    public enum Stop implements Command { INSTANCE }

    /** Everything the sampler uses; the replica is its own (created and freed by it). */
    public record Settings(String id, java.util.function.Supplier<CausalLm> replicaFactory, TextTokenizer tokenizer,
                           WeightStore weights, ActorRef<PromptSupply.Command> supply, Consumer<Rollout> sink,
                           SamplingParams params, int groupSize, int batchPrompts, long seed, PipelineGauges gauges,
                           ExactVersions exactVersions, java.util.function.BooleanSupplier stopping) {
    }

    /**
     * Deterministic mode: prompt of admission ordinal o is sampled with version max(0, o / B − S) exactly, the
     * version its batch position implies, whatever the timing. Null in streaming mode (newest weights).
     */
    public record ExactVersions(int batchGroups, int maxStaleness) {
        long versionFor(long ordinal) {
            return Math.max(0, ordinal / batchGroups - maxStaleness);
        }
    }

    public static Behavior<Command> create(Settings settings) {
        return Behaviors.setup(ctx -> new SamplerActor(ctx, settings));
    }

    private final Settings settings;
    private final CausalLm replica;
    private final Sampler sampler;
    private final ActorRef<PromptSupply.Granted> grantedAdapter;
    private long version = -1;

    private SamplerActor(ActorContext<Command> ctx, Settings settings) {
        super(ctx);
        if (settings.exactVersions() != null) {
            Determinism.singleThreaded();
        }
        this.settings = settings;
        this.replica = settings.replicaFactory().get();
        this.replica.setRequiresGradient(false);
        this.sampler = new Sampler(replica, settings.tokenizer());
        this.grantedAdapter = ctx.messageAdapter(PromptSupply.Granted.class, PromptsGranted::new);
        settings.supply().tell(new PromptSupply.SamplerRestarted(settings.id())); // recover a crashed run's grants
        requestWork();
    }

    private void requestWork() {
        settings.supply().tell(new PromptSupply.RequestPrompts(settings.id(), settings.batchPrompts(), grantedAdapter));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(PromptsGranted.class, this::onGranted)
                .onMessageEquals(Stop.INSTANCE, this::onStop)
                .onSignal(PreRestart.class, s -> release())
                .onSignal(PostStop.class, s -> release())
                .build();
    }

    private Behavior<Command> release() {
        replica.close();
        return this;
    }

    private Behavior<Command> onStop() {
        return Behaviors.stopped(); // a batch in progress has finished: messages are handled one at a time
    }

    private void generate(List<PromptWork> prompts, long withVersion, List<Long> keys) {
        List<Sampler.Request> requests = new ArrayList<>(prompts.size());
        for (PromptWork p : prompts) {
            requests.add(new Sampler.Request(p.key(), p.tokens(), settings.groupSize()));
        }
        // the run's end abandons a batch between two tokens (a real-size batch can take minutes)
        List<List<Completion>> out = sampler.generate(requests, settings.params(), settings.seed(), 0,
                settings.stopping());
        for (int i = 0; i < prompts.size(); i++) {
            PromptWork p = prompts.get(i);
            for (Completion c : out.get(i)) {
                settings.gauges().samplesGenerated.incrementAndGet();
                settings.gauges().tokensGenerated.addAndGet(c.tokens().length);
                settings.sink().accept(new Rollout(p, c.sampleIndex(), settings.groupSize(), withVersion, c.tokens(),
                        c.logprobs(), c.text(), c.truncated()));
            }
            keys.add(p.key());
        }
    }

    private Behavior<Command> onGranted(PromptsGranted g) {
        try {
            return sample(g);
        } catch (java.util.concurrent.CancellationException e) {
            return Behaviors.stopped(); // the run has ended: its prompts are not needed any more
        }
    }

    private Behavior<Command> sample(PromptsGranted g) {
        List<PromptWork> prompts = g.granted().prompts();
        if (prompts.isEmpty()) {
            return this; // the data has run out: nothing more to do
        }
        List<Long> keys = new ArrayList<>(prompts.size());
        if (settings.exactVersions() == null) {
            if (settings.weights().version() != version) {
                version = settings.weights().copyInto(replica);
            }
            generate(prompts, version, keys);
        } else {
            // prompts of one grant can belong to different versions (after a restart): one pass per version
            java.util.Map<Long, List<PromptWork>> byVersion = new java.util.TreeMap<>();
            for (PromptWork p : prompts) {
                byVersion.computeIfAbsent(settings.exactVersions().versionFor(p.ordinal()), v -> new ArrayList<>())
                        .add(p);
            }
            for (var e : byVersion.entrySet()) {
                if (e.getKey() != version) {
                    settings.weights().copyInto(replica, e.getKey());
                    version = e.getKey();
                }
                generate(e.getValue(), version, keys);
            }
        }
        settings.supply().tell(new PromptSupply.Dispatched(settings.id(), keys));
        requestWork();
        return this;
    }
}
