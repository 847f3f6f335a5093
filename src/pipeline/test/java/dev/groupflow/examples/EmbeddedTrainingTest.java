package dev.groupflow.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.embed.GrpoTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedTrainingTest {

    private static void awaitEvent(EmbeddedTrainingExample.Observed o, Class<?> type) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (o.events().stream().noneMatch(type::isInstance) && System.nanoTime() < deadline) {
            if (o.events().stream().anyMatch(e -> e instanceof GrpoTraining.Failed)) {
                throw new AssertionError("training failed: " + o.events());
            }
            Thread.sleep(20);
        }
    }

    @Test
    void trainingRunsBesideTheApplicationsActorsAndScoresWithOneOfThem(@TempDir Path tmp) throws Exception {
        EmbeddedTrainingExample.Observed o = EmbeddedTrainingExample.observed();
        ActorSystem<Void> host = ActorSystem.create(EmbeddedTrainingExample.application(tmp, 4, o), "host-app");
        try {
            awaitEvent(o, GrpoTraining.Finished.class);
            assertInstanceOf(GrpoTraining.Started.class, o.events().get(0));
            assertEquals(List.of(1L, 2L, 3L, 4L), o.stepsSeenByListener());
            assertEquals(4, o.events().stream().filter(e -> e instanceof GrpoTraining.StepCompleted).count());
            assertTrue(o.scored().get() >= 4 * 4 * 4, "the application's actor scored every sample: " + o.scored());
            GrpoTraining.Finished f = (GrpoTraining.Finished) o.events().get(o.events().size() - 1);
            assertEquals(4, f.steps());
            assertEquals(4, Files.readAllLines(tmp.resolve("metrics.jsonl")).size());
            assertTrue(host.getWhenTerminated().toCompletableFuture().isDone() == false,
                    "the host keeps running after training finished (nobody called System.exit)");
        } finally {
            host.terminate();
            host.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void itIsControlledByMessagesAndStopsWithItsHost(@TempDir Path tmp) throws Exception {
        ActorTestKit kit = ActorTestKit.create();
        try {
            ActorRef<GrpoTraining.Command> training = kit.spawn(GrpoTraining.builder().runDir(tmp)
                    .set("train.steps=100000").set("grpo.group-size=4").set("train.batch-groups=4")
                    .set("pipeline.sampler-batch-prompts=4").set("checkpoint.every=0").set("model.device=cpu")
                    .build(), "training");
            TestProbe<GrpoTraining.Event> events = kit.createTestProbe();
            TestProbe<GrpoTraining.Status> status = kit.createTestProbe();
            training.tell(new GrpoTraining.Subscribe(events.ref()));
            training.tell(new GrpoTraining.GetStatus(status.ref()));
            assertEquals("idle", status.receiveMessage().state());
            training.tell(GrpoTraining.Start.INSTANCE);
            events.expectMessageClass(GrpoTraining.Started.class, Duration.ofSeconds(60));
            events.expectMessageClass(GrpoTraining.StepCompleted.class, Duration.ofSeconds(60));
            training.tell(GrpoTraining.Pause.INSTANCE);
            events.fishForMessage(Duration.ofSeconds(30), e -> e instanceof GrpoTraining.Paused
                    ? FishingOutcomes.complete()
                    : FishingOutcomes.continueAndIgnore());
            training.tell(new GrpoTraining.GetStatus(status.ref()));
            GrpoTraining.Status paused = status.receiveMessage();
            assertEquals("paused", paused.state());
            assertTrue(paused.step() >= 1);
            training.tell(GrpoTraining.Resume.INSTANCE);
            events.fishForMessage(Duration.ofSeconds(30), e -> e instanceof GrpoTraining.StepCompleted
                    ? FishingOutcomes.complete()
                    : FishingOutcomes.continueAndIgnore());
        } finally {
            // the host goes away mid-training: the training stops with it and frees its native memory
            kit.shutdownTestKit();
        }
        assertTrue(kit.system().getWhenTerminated().toCompletableFuture().isDone());
    }
}
