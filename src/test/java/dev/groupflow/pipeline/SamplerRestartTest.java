package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.groupflow.data.DigitTask;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.verify.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
                    new DigitTask("copy", 3, 4, 1, false), new PromptEncoder(tokenizer, "off", 100), 4, 0, null, gauges,
                    r -> { })));
            WeightStore weights = new WeightStore(policy, m, 0, 1);
            // the assembler downstream: collects what arrives; the sink fails once, on the 5th rollout
            GroupAssembler assembler = new GroupAssembler(g, gauges);
            Map<Long, Group> groups = new ConcurrentHashMap<>();
            AtomicInteger delivered = new AtomicInteger();
            AtomicInteger starts = new AtomicInteger();
            SamplerActor.Settings settings = new SamplerActor.Settings("s", () -> {
                starts.incrementAndGet();
                return weights.newReplica(m);
            }, tokenizer, weights, supply, r -> {
                if (delivered.incrementAndGet() == 5) {
                    throw new IllegalStateException("the stream refused a rollout (injected)");
                }
                synchronized (assembler) {
                    assembler.add(new ScoredRollout(r, new Outcome(Outcome.Status.SCORED, 0.0, Map.of(), "", 1, 0)))
                            .ifPresent(x -> groups.put(x.promptKey(), x));
                }
            }, SamplingParams.standard(4), g, 2, 0, gauges, null, () -> false);
            KIT.spawn(Behaviors.supervise(SamplerActor.create(settings)).onFailure(Exception.class,
                    SupervisorStrategy.restartWithBackoff(Duration.ofMillis(50), Duration.ofMillis(200), 0.1)),
                    "sampler", DispatcherSelector.fromConfig(TrainingSupervisor.PINNED));
            // capacity (S + 1) x B = 4 prompts: the first chunk's delivery fails part way, it is re-sampled
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (groups.size() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(2, starts.get(), "started, failed, restarted once");
            assertEquals(java.util.Set.of(0L, 1L, 2L, 3L), groups.keySet(), "all four prompts have complete groups");
            for (Group group : groups.values()) {
                assertEquals(List.of(0, 1, 2), group.members().stream().map(x -> x.rollout().sampleIndex()).toList());
            }
            assertTrue(gauges.samplesDuplicate.get() > 0, "the re-sampled prompt's delivered members were ignored");
            weights.close();
        }
    }
}
