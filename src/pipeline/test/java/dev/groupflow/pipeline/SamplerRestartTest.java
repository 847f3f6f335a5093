package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.groupflow.data.DataPosition;
import dev.groupflow.data.DigitTask;
import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.verify.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A sampler that fails in the middle of a batch is restarted; what it had not delivered is sampled again. */
class SamplerRestartTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    @Test
    void aCrashedSamplerRestartsAndItsPromptsAreHandedOutAgain() throws Exception {
        CharTokenizer tokenizer = new CharTokenizer(DigitTask.ALPHABET);
        int g = 3;
        try (NDManager m = NDManager.newBaseManager();
             CausalLm policy = CausalLm.random(TinyModels.qwen3(tokenizer.vocabSize()), m, 2)) {
            PipelineGauges gauges = new PipelineGauges();
            ActorRef<PromptSupply.Command> supply = KIT.spawn(PromptSupply.create(new PromptSupply.Settings(
                    new DigitTask("copy", 3, 4, 1, false), new PromptEncoder(tokenizer, "off", 100), 4, 0,
                    DataPosition.start(), gauges)));
            WeightStore weights = new WeightStore(policy, m, 0, 1);
            // the assembler downstream: collects what arrives; the queue refuses once, the 5th rollout
            GroupAssembler assembler = new GroupAssembler(g, gauges);
            Map<Long, Group> groups = new ConcurrentHashMap<>();
            BoundedSourceQueue<Rollout> stream = Source.<Rollout>queue(1024).to(Sink.foreach(r -> {
                synchronized (assembler) {
                    assembler.add(new ScoredRollout(r, new Outcome.Scored(0.0, Map.of(), "", 1, 0)))
                            .ifPresent(x -> groups.put(x.promptKey(), x));
                }
            })).run(KIT.system());
            AtomicInteger offered = new AtomicInteger();
            RolloutQueue rollouts = new RolloutQueue(new BoundedSourceQueue<>() {
                @Override
                public QueueOfferResult offer(Rollout r) {
                    return offered.incrementAndGet() == 5 ? QueueOfferResult.dropped() : stream.offer(r); // injected
                }

                @Override
                public void complete() {
                    stream.complete();
                }

                @Override
                public boolean isCompleted() {
                    return stream.isCompleted();
                }

                @Override
                public void fail(Throwable cause) {
                    stream.fail(cause);
                }

                @Override
                public int size() {
                    return stream.size();
                }
            });
            AtomicInteger starts = new AtomicInteger();
            SamplerActor.Settings settings = new SamplerActor.Settings("s", () -> {
                starts.incrementAndGet();
                return weights.newReplica(m);
            }, tokenizer, weights, new RolloutSampler.Settings(SamplingParams.standard(4), g, 0), 2,
                    Optional.empty(), gauges);
            KIT.spawn(Behaviors.supervise(SamplerActor.create(settings, supply, rollouts)).onFailure(Exception.class,
                    SupervisorStrategy.restartWithBackoff(Duration.ofMillis(50), Duration.ofMillis(200), 0.1)),
                    "sampler", DispatcherSelector.fromConfig(TrainingSupervisor.PINNED));
            // capacity (S + 1) x B = 4 prompts: the first chunk's delivery fails part way, it is re-sampled
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (groups.size() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(2, starts.get(), "started, failed, restarted once");
            assertEquals(Set.of(0L, 1L, 2L, 3L), groups.keySet(), "all four prompts have complete groups");
            for (Group group : groups.values()) {
                assertEquals(List.of(0, 1, 2), group.members().stream().map(x -> x.rollout().sampleIndex()).toList());
            }
            assertTrue(gauges.samplesDuplicate.get() > 0, "the re-sampled prompt's delivered members were ignored");
            weights.close();
        }
    }
}
