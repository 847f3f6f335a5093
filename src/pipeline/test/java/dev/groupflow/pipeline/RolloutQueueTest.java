package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The stream's entrance at the end of a run: once the learner's end has completed (it took its last step), a group
 * still offered is not needed and is no failure, while a queue that really refuses (full) still fails loudly.
 */
class RolloutQueueTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @Test
    void aGroupOfferedAfterTheLearnersEndCompletedIsNotAFailure() throws Exception {
        // the learner's end takes two groups and completes, as a run's sink does at its last step
        Pair<BoundedSourceQueue<Group>, CompletionStage<List<Group>>> stream =
                Source.<Group>queue(8).take(2).toMat(Sink.seq(), (q, done) -> Pair.create(q, done))
                        .run(KIT.system());
        RolloutQueue groups = RolloutQueue.ofGroups(stream.first());
        groups.offer(new Group(1, List.of()));
        groups.offer(new Group(2, List.of()));
        assertEquals(2, stream.second().toCompletableFuture().get(10, TimeUnit.SECONDS).size());
        assertFalse(groups.closed());
        // the take(2) has cancelled the queue with StageWasCompleted: offering now must neither throw nor count
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!groups.closed() && System.nanoTime() < deadline) {
            groups.offer(new Group(3, List.of()));
            Thread.sleep(5);
        }
        assertTrue(groups.closed(), "a stream whose end completed reads as closed, so the episode stage stops");
    }

    @Test
    void aFullQueueStillFails() {
        Pair<BoundedSourceQueue<Group>, CompletionStage<List<Group>>> stream =
                Source.<Group>queue(1).toMat(Sink.seq(), (q, done) -> Pair.create(q, done)).run(KIT.system());
        // nothing pulls before the first element is taken by Sink.seq's demand; fill until one is refused
        RolloutQueue groups = RolloutQueue.ofGroups(stream.first());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            for (int i = 0; i < 10_000; i++) {
                groups.offer(new Group(i, List.of()));
            }
        });
        assertTrue(e.getMessage().contains("refused"), e.getMessage());
        assertFalse(groups.closed());
        stream.first().complete();
    }
}
