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
                           SamplingParams params, int groupSize, int batchPrompts, long seed, PipelineGauges gauges) {
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

    private Behavior<Command> onGranted(PromptsGranted g) {
        List<PromptWork> prompts = g.granted().prompts();
        if (prompts.isEmpty()) {
            return this; // the data has run out: nothing more to do
        }
        if (settings.weights().version() != version) {
            version = settings.weights().copyInto(replica);
        }
        List<Sampler.Request> requests = new ArrayList<>(prompts.size());
        for (PromptWork p : prompts) {
            requests.add(new Sampler.Request(p.key(), p.tokens(), settings.groupSize()));
        }
        List<List<Completion>> out = sampler.generate(requests, settings.params(), settings.seed(), 0);
        List<Long> keys = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            PromptWork p = prompts.get(i);
            for (Completion c : out.get(i)) {
                settings.gauges().samplesGenerated.incrementAndGet();
                settings.gauges().tokensGenerated.addAndGet(c.tokens().length);
                settings.sink().accept(new Rollout(p, c.sampleIndex(), settings.groupSize(), version, c.tokens(),
                        c.logprobs(), c.text(), c.truncated()));
            }
            keys.add(p.key());
        }
        settings.supply().tell(new PromptSupply.Dispatched(settings.id(), keys));
        requestWork();
        return this;
    }
}
