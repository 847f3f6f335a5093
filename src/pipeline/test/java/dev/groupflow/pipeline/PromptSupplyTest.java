package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.data.DataPosition;
import dev.groupflow.data.DigitTask;
import dev.groupflow.data.JsonlPrompts;
import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.model.tokenizer.CharTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptSupplyTest {
    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final CharTokenizer TOKENIZER = new CharTokenizer(DigitTask.ALPHABET);

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    private static ActorRef<PromptSupply.Command> supply(int batch, int staleness, DataPosition from) {
        return KIT.spawn(PromptSupply.create(new PromptSupply.Settings(new DigitTask("reverse", 3, 5, 1, false),
                new PromptEncoder(TOKENIZER, "off", 100), batch, staleness, from, new PipelineGauges())));
    }

    private static List<Long> keys(PromptSupply.Granted g) {
        return g.prompts().stream().map(PromptWork::key).toList();
    }

    @Test
    void admitsAtMostStalenessPlusOneBatchesUntilPromptsResolve() {
        ActorRef<PromptSupply.Command> supply = supply(4, 1, DataPosition.start());
        TestProbe<PromptSupply.Granted> sampler = KIT.createTestProbe();
        supply.tell(new PromptSupply.RequestPrompts("s", 100, sampler.ref()));
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), keys(sampler.receiveMessage()));
        supply.tell(new PromptSupply.RequestPrompts("s", 100, sampler.ref()));
        sampler.expectNoMessage(Duration.ofMillis(300)); // (S + 1) · B = 8 outstanding: the request waits
        supply.tell(new PromptSupply.Resolved(List.of(0L, 1L, 2L), PromptSupply.Resolution.TRAINED));
        assertEquals(List.of(8L, 9L, 10L), keys(sampler.receiveMessage()));
        supply.tell(new PromptSupply.Resolved(List.of(3L), PromptSupply.Resolution.STALE));
        supply.tell(new PromptSupply.RequestPrompts("s", 100, sampler.ref()));
        assertEquals(List.of(11L), keys(sampler.receiveMessage()));
        TestProbe<DataPosition> state = KIT.createTestProbe();
        supply.tell(new PromptSupply.GetState(state.ref()));
        DataPosition p = state.receiveMessage();
        assertEquals(12, p.nextIndex());
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L), p.pendingKeys());
        assertEquals(12, p.nextOrdinal());
        assertEquals(3, p.trained());
        assertEquals(1, p.dropped());
    }

    @Test
    void zeroStalenessKeepsExactlyOneBatchOutstanding() {
        ActorRef<PromptSupply.Command> supply = supply(2, 0, DataPosition.start());
        TestProbe<PromptSupply.Granted> sampler = KIT.createTestProbe();
        supply.tell(new PromptSupply.RequestPrompts("s", 1, sampler.ref()));
        assertEquals(List.of(0L), keys(sampler.receiveMessage()));
        supply.tell(new PromptSupply.RequestPrompts("s", 1, sampler.ref()));
        assertEquals(List.of(1L), keys(sampler.receiveMessage()));
        supply.tell(new PromptSupply.RequestPrompts("s", 1, sampler.ref()));
        sampler.expectNoMessage(Duration.ofMillis(200));
        supply.tell(new PromptSupply.Resolved(List.of(0L, 1L), PromptSupply.Resolution.TRAINED));
        assertEquals(List.of(2L), keys(sampler.receiveMessage()));
    }

    @Test
    void aRestartedSamplersUndispatchedPromptsAreHandedOutAgainFirst() {
        ActorRef<PromptSupply.Command> supply = supply(4, 0, DataPosition.start());
        TestProbe<PromptSupply.Granted> sampler = KIT.createTestProbe();
        supply.tell(new PromptSupply.RequestPrompts("s", 4, sampler.ref()));
        assertEquals(List.of(0L, 1L, 2L, 3L), keys(sampler.receiveMessage()));
        supply.tell(new PromptSupply.Dispatched("s", List.of(0L, 1L)));
        supply.tell(new PromptSupply.SamplerRestarted("s"));
        supply.tell(new PromptSupply.RequestPrompts("s", 4, sampler.ref()));
        assertEquals(List.of(2L, 3L), keys(sampler.receiveMessage()), "only what was never dispatched, same keys");
    }

    @Test
    void resumeHandsOutPendingPromptsBeforeNewOnes() {
        ActorRef<PromptSupply.Command> supply = supply(4, 0, new DataPosition(10, 8, List.of(
                new DataPosition.Pending(6, 6), new DataPosition.Pending(8, 7)), 6, 0, 0));
        TestProbe<PromptSupply.Granted> sampler = KIT.createTestProbe();
        supply.tell(new PromptSupply.RequestPrompts("s", 4, sampler.ref()));
        PromptSupply.Granted g = sampler.receiveMessage();
        assertEquals(List.of(6L, 8L, 10L, 11L), keys(g));
        assertEquals(List.of(6L, 7L, 8L, 9L), g.prompts().stream().map(PromptWork::ordinal).toList(),
                "pending prompts keep their ordinals, new ones continue the count");
    }

    @Test
    void whenTheDataRunsOutAndAllIsBufferedTheLearnerIsToldToDrain(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("p.jsonl");
        Files.writeString(file, "{\"prompt\": \"12>\", \"answer\": \"21\"}\n{\"prompt\": \"345>\", \"answer\": \"543\"}\n");
        try (JsonlPrompts prompts = JsonlPrompts.open(file, 1, false, 0)) {
            ActorRef<PromptSupply.Command> supply = KIT.spawn(PromptSupply.create(new PromptSupply.Settings(prompts,
                    new PromptEncoder(TOKENIZER, "off", 100), 4, 0, DataPosition.start(), new PipelineGauges())));
            TestProbe<PromptSupply.Granted> sampler = KIT.createTestProbe();
            TestProbe<LearnerActor.Command> learner = KIT.createTestProbe();
            supply.tell(new PromptSupply.RegisterLearner(learner.ref()));
            supply.tell(new PromptSupply.RequestPrompts("s", 4, sampler.ref()));
            assertEquals(List.of(0L, 1L), keys(sampler.receiveMessage()));
            supply.tell(new PromptSupply.RequestPrompts("s", 4, sampler.ref()));
            PromptSupply.Granted last = sampler.receiveMessage();
            assertTrue(last.exhausted() && last.prompts().isEmpty());
            supply.tell(new PromptSupply.Buffered(List.of(0L)));
            learner.expectNoMessage(Duration.ofMillis(200)); // prompt 1 is still in flight
            supply.tell(new PromptSupply.Buffered(List.of(1L)));
            assertEquals(LearnerActor.Drain.INSTANCE, learner.receiveMessage());
        }
    }
}
