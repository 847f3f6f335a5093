package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.verify.Outcome;
import dev.groupflow.verify.Reward;
import dev.groupflow.verify.Verifier;
import dev.groupflow.verify.VerifierCalls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class VerifierStageTest {
    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final ScheduledExecutorService SCHEDULER = Executors.newScheduledThreadPool(2);

    @AfterAll
    static void shutdown() {
        SCHEDULER.shutdownNow();
        KIT.shutdownTestKit();
    }

    private static List<ScoredRollout> run(Verifier v, Duration timeout, int retries, List<Rollout> rollouts,
                                           int concurrency) throws Exception {
        VerifierCalls calls = new VerifierCalls(v, timeout, retries, Duration.ofMillis(10), SCHEDULER);
        return Source.from(rollouts).via(VerifierStage.flow(calls, concurrency, new PipelineGauges()))
                .runWith(Sink.seq(), KIT.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aVerifierThatNeverAnswersTimesOutAndItsGroupStillResolves() throws Exception {
        Verifier hangsOnSampleOne = r -> r.completion().equals("hang") ? new CompletableFuture<>()
                : CompletableFuture.completedFuture(Reward.of(1.0));
        List<Rollout> rollouts = List.of(Rollouts.rollout(1, 0, "ok"), Rollouts.rollout(1, 1, "hang"),
                Rollouts.rollout(1, 2, "ok"));
        VerifierCalls calls = new VerifierCalls(hangsOnSampleOne, Duration.ofMillis(300), 2, Duration.ofMillis(10),
                SCHEDULER);
        List<Group> groups = Source.from(rollouts).via(VerifierStage.flow(calls, 8, new PipelineGauges()))
                .via(GroupAssembler.flow(3, false, g -> { }))
                .runWith(Sink.seq(), KIT.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(1, groups.size());
        Outcome timedOut = groups.get(0).members().get(1).outcome();
        assertEquals(Outcome.Status.TIMED_OUT, timedOut.status());
        assertFalse(timedOut instanceof Outcome.Scored, "a timeout is never scored as reward 0");
        assertEquals(1, timedOut.attempts(), "timeouts are not retried");
        assertTrue(timedOut.latencyMillis() >= 250, "waited for the timeout: " + timedOut.latencyMillis());
        assertEquals(Outcome.Status.SCORED, groups.get(0).members().get(0).outcome().status());
    }

    @Test
    void failuresAreRetriedWithBackoffThenReportedAsFailed() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Verifier flaky = r -> calls.incrementAndGet() % 2 == 1
                ? CompletableFuture.failedFuture(new RuntimeException("connection reset"))
                : CompletableFuture.completedFuture(Reward.of(0.5));
        List<ScoredRollout> out = run(flaky, Duration.ofSeconds(5), 2, List.of(Rollouts.rollout(1, 0, "a")), 1);
        assertEquals(Outcome.Status.SCORED, out.get(0).outcome().status());
        assertEquals(2, out.get(0).outcome().attempts());

        Verifier garbage = r -> CompletableFuture.completedFuture(Reward.of(Double.NaN));
        List<ScoredRollout> bad = run(garbage, Duration.ofSeconds(5), 2, List.of(Rollouts.rollout(1, 0, "a")), 1);
        assertEquals(Outcome.Status.FAILED, bad.get(0).outcome().status());
        assertEquals(3, bad.get(0).outcome().attempts());
        assertTrue(bad.get(0).outcome().detail().contains("non-finite"), bad.get(0).outcome().detail());

        Verifier throwing = r -> {
            throw new IllegalStateException("bug in the reward function");
        };
        List<ScoredRollout> thrown = run(throwing, Duration.ofSeconds(5), 0, List.of(Rollouts.rollout(1, 0, "a")), 1);
        assertEquals(Outcome.Status.FAILED, thrown.get(0).outcome().status());
        assertTrue(thrown.get(0).outcome().detail().contains("bug in the reward function"));
    }

    @Test
    void aSlowCallHoldsOneSlotWhileFastOnesOvertakeIt() throws Exception {
        Verifier slowFirst = r -> {
            CompletableFuture<Reward> f = new CompletableFuture<>();
            long delay = r.completion().equals("slow") ? 1500 : 5;
            SCHEDULER.schedule(() -> f.complete(Reward.of(1)), delay, TimeUnit.MILLISECONDS);
            return f;
        };
        List<Rollout> rollouts = new ArrayList<>();
        rollouts.add(Rollouts.rollout(0, 0, "slow"));
        for (int i = 1; i <= 20; i++) {
            rollouts.add(Rollouts.rollout(i, 0, "fast"));
        }
        List<ScoredRollout> out = run(slowFirst, Duration.ofSeconds(10), 0, rollouts, 4);
        assertEquals(21, out.size());
        assertEquals("slow", out.get(20).rollout().text(), "the straggler finishes last, nobody waited for it");
    }
}
