package dev.groupflow.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.checkpoint.Checkpointer;
import dev.groupflow.embed.GrpoTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding protocol with a real pipeline: pause holds the steps, checkpoint-now writes one, stop ends it. */
class GrpoTrainingControlTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    private static ActorRef<GrpoTraining.Command> training(Path runDir, String name) {
        return KIT.spawn(GrpoTraining.builder().runDir(runDir).set("train.steps=100000").set("grpo.group-size=4")
                .set("train.batch-groups=4").set("pipeline.sampler-batch-prompts=4").set("checkpoint.every=0")
                .set("model.device=cpu").build(), name);
    }

    private static <T> T fish(TestProbe<GrpoTraining.Event> events, Class<T> type) {
        return type.cast(events.fishForMessage(Duration.ofSeconds(60), e -> type.isInstance(e)
                ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0));
    }

    private static void drain(TestProbe<GrpoTraining.Event> probe) {
        try {
            while (true) {
                probe.receiveMessage(Duration.ofMillis(100));
            }
        } catch (AssertionError empty) {
            // nothing more queued
        }
    }

    private static GrpoTraining.Status status(ActorRef<GrpoTraining.Command> training) {
        TestProbe<GrpoTraining.Status> probe = KIT.createTestProbe();
        training.tell(new GrpoTraining.GetStatus(probe.ref()));
        return probe.receiveMessage();
    }

    @Test
    void pauseHoldsTheStepsCheckpointNowWritesOneAndStopEndsTraining(@TempDir Path tmp) throws Exception {
        ActorRef<GrpoTraining.Command> training = training(tmp, "controlled");
        TestProbe<GrpoTraining.Event> events = KIT.createTestProbe();
        TestProbe<GrpoTraining.Event> leaving = KIT.createTestProbe();
        training.tell(new GrpoTraining.Subscribe(events.ref()));
        training.tell(new GrpoTraining.Subscribe(leaving.ref()));
        training.tell(GrpoTraining.Start.INSTANCE);
        fish(events, GrpoTraining.StepCompleted.class);
        fish(leaving, GrpoTraining.Started.class);
        training.tell(new GrpoTraining.Unsubscribe(leaving.ref()));
        long left = status(training).step(); // answered after the Unsubscribe: later events do not reach it

        training.tell(GrpoTraining.Pause.INSTANCE);
        fish(events, GrpoTraining.Paused.class);
        // steps already under way when Pause reached the learner may still complete; then the counter holds
        long held = status(training).step();
        for (int i = 0; i < 30; i++) {
            Thread.sleep(1000);
            long now = status(training).step();
            if (now == held) {
                break;
            }
            held = now;
        }
        drain(events);
        long lines = Files.readAllLines(tmp.resolve("metrics.jsonl")).size();
        events.expectNoMessage(Duration.ofSeconds(2));
        assertEquals(held, status(training).step(), "no step while paused");
        assertEquals(lines, Files.readAllLines(tmp.resolve("metrics.jsonl")).size());

        // checkpoint-now while paused: written at the step it holds
        training.tell(GrpoTraining.CheckpointNow.INSTANCE);
        Path checkpoint = tmp.resolve("checkpoints/step-" + held);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (Checkpointer.verify(checkpoint) != null && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(null, Checkpointer.verify(checkpoint), "a complete checkpoint at step " + held);

        training.tell(GrpoTraining.Resume.INSTANCE);
        fish(events, GrpoTraining.Resumed.class);
        fish(events, GrpoTraining.StepCompleted.class);
        training.tell(GrpoTraining.Stop.INSTANCE);
        GrpoTraining.Finished finished = fish(events, GrpoTraining.Finished.class);
        assertTrue(finished.interrupted());
        assertTrue(finished.steps() > held, finished.toString());
        assertEquals("finished", status(training).state());
        assertEquals(finished.steps(), new Checkpointer(tmp.resolve("checkpoints"), 3).latest().orElseThrow()
                .state().step(), "the stop checkpointed its last step");
        assertEquals(finished.steps(), Files.readAllLines(tmp.resolve("metrics.jsonl")).size());
        // the unsubscribed probe heard nothing after it left: no pause, no finish, no later step
        while (true) {
            GrpoTraining.Event e;
            try {
                e = leaving.receiveMessage(Duration.ofMillis(200));
            } catch (AssertionError nothingMore) {
                break;
            }
            assertTrue(e instanceof GrpoTraining.StepCompleted sc
                    && ((Number) sc.metrics().get("step")).longValue() <= left, "after Unsubscribe: " + e);
        }
    }

    @Test
    void stopWhileStartingEndsTrainingBeforeItsFirstStep(@TempDir Path tmp) throws Exception {
        ActorRef<GrpoTraining.Command> training = training(tmp, "stopped-early");
        TestProbe<GrpoTraining.Event> events = KIT.createTestProbe();
        training.tell(new GrpoTraining.Subscribe(events.ref()));
        training.tell(GrpoTraining.Start.INSTANCE);
        training.tell(GrpoTraining.Stop.INSTANCE); // the policy is still being built
        GrpoTraining.Finished finished = fish(events, GrpoTraining.Finished.class);
        assertEquals(0, finished.steps());
        assertTrue(finished.interrupted());
        assertEquals("finished", status(training).state());
        assertTrue(!Files.exists(tmp.resolve("metrics.jsonl")) || Files.size(tmp.resolve("metrics.jsonl")) == 0,
                "no step was trained");
    }
}
