package dev.groupflow.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.data.Prompt;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A Java class as the environment: sessions by episode, repeated turns answered once, bad calls refused. */
class JavaEnvironmentTest {
    private static final ExecutorService POOL = Executors.newFixedThreadPool(2);
    private static final Prompt TASK = Prompt.text("t", GuessTask.prompt(2), "47");

    @AfterAll
    static void stop() {
        POOL.shutdownNow();
    }

    private static EnvironmentFailure failure(Runnable r) {
        CompletionException e = assertThrows(CompletionException.class, r::run);
        return assertInstanceOf(EnvironmentFailure.class, e.getCause());
    }

    @Test
    void aRepeatedTurnGetsItsFirstAnswerAndTheGameMovesOnce() {
        AtomicInteger steps = new AtomicInteger();
        LocalEnvironment counting = start -> {
            LocalEnvironment.Session game = new GuessEnvironment(false).start(start);
            return new LocalEnvironment.Session() {
                @Override
                public Observation first() {
                    return game.first();
                }

                @Override
                public Transition step(Action action) {
                    steps.incrementAndGet();
                    return game.step(action);
                }
            };
        };
        JavaEnvironment env = new JavaEnvironment(counting, POOL);
        env.start(new EpisodeStart("e", TASK, 0)).toCompletableFuture().join();
        Transition first = env.step(new EpisodeStep("e", 0, Action.plain("41", false))).toCompletableFuture().join();
        Transition again = env.step(new EpisodeStep("e", 0, Action.plain("41", false))).toCompletableFuture().join();
        assertSame(first, again);
        assertEquals(1, steps.get());
        EnvironmentFailure skipped = failure(() -> env.step(new EpisodeStep("e", 2, Action.plain("4", false)))
                .toCompletableFuture().join());
        assertTrue(skipped.getMessage().contains("turn 2 after turn 0") && !skipped.retryable());
        assertEquals(1, env.liveEpisodes());
        env.end("e").toCompletableFuture().join();
        assertEquals(0, env.liveEpisodes());
        EnvironmentFailure ended = failure(() -> env.step(new EpisodeStep("e", 1, Action.plain("47", false)))
                .toCompletableFuture().join());
        assertTrue(ended.getMessage().contains("no episode e"), ended.getMessage());
        assertFalse(ended.retryable());
    }

    @Test
    void anEpisodeIdIsStartedOnce() {
        JavaEnvironment env = new JavaEnvironment(new GuessEnvironment(false), POOL);
        env.start(new EpisodeStart("dup", TASK, 0)).toCompletableFuture().join();
        assertTrue(failure(() -> env.start(new EpisodeStart("dup", TASK, 0)).toCompletableFuture().join())
                .getMessage().contains("already started"));
        assertEquals(1, env.liveEpisodes());
    }
}
