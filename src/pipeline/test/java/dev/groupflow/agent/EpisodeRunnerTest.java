package dev.groupflow.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.groupflow.data.Prompt;
import dev.groupflow.grpo.AdvantageScale;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.TokenLogprobs;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.sampling.TurnSampler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Episodes of the built-in guess environment played by a real (random, tiny) policy: their tokens are exactly what
 * the policy saw, episodes progress independently of each other's environments, failures and limits end them
 * explicitly, and lockstep runs are bit-identical.
 */
class EpisodeRunnerTest {
    private static final CharTokenizer TOKENIZER = new CharTokenizer(GuessTask.ALPHABET);
    private static final SamplingParams SAMPLING = SamplingParams.standard(8);
    private static final EpisodeLimits LIMITS = new EpisodeLimits(3, 64, 4);
    private static NDManager manager;
    private static CausalLm model;
    private static ExecutorService pool;
    private static ScheduledExecutorService scheduler;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, 5);
        model.suppressTokens(TOKENIZER.neverGenerated());
        model.setRequiresGradient(false);
        pool = Executors.newFixedThreadPool(4);
        scheduler = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterAll
    static void tearDown() {
        pool.shutdownNow();
        scheduler.shutdownNow();
        model.close();
        manager.close();
    }

    /** G episodes of each task, with ids "task/i". */
    private static List<EpisodeSpec> specs(List<Prompt> tasks, int g) {
        List<EpisodeSpec> out = new ArrayList<>();
        for (int t = 0; t < tasks.size(); t++) {
            for (int i = 0; i < g; i++) {
                out.add(new EpisodeSpec(t + "/" + i, 100 + t, i, tasks.get(t), 0));
            }
        }
        return out;
    }

    private static List<Prompt> tasks() {
        return List.of(Prompt.text("a", GuessTask.prompt(2), "47"), Prompt.text("b", GuessTask.prompt(3), "503"));
    }

    private static EpisodeRunner runner(TurnSampler sampler, Environment env, Duration timeout, int retries,
                                        boolean lockstep) {
        return new EpisodeRunner(sampler, new PlainTurnFormat(TOKENIZER, ToolCallFormat.PLAIN),
                new EnvironmentCalls(env, timeout, retries, Duration.ofMillis(5), scheduler), LIMITS, SAMPLING, 16,
                lockstep);
    }

    private static List<Episode> run(Environment env, Duration timeout, int retries, List<EpisodeSpec> specs)
            throws InterruptedException {
        return runner(new TurnSampler(model, TOKENIZER), env, timeout, retries, false).run(specs, 1, 0, 7);
    }

    @Test
    void episodesRunToTheirEndAndHoldExactlyWhatThePolicySaw() throws Exception {
        JavaEnvironment env = new JavaEnvironment(new GuessEnvironment(false), pool);
        TurnSampler sampler = new TurnSampler(model, TOKENIZER);
        List<Episode> episodes = runner(sampler, env, Duration.ofSeconds(30), 0, false)
                .run(specs(tasks(), 4), 1, 0, 7);
        assertEquals(8, episodes.size());
        assertEquals(0, env.liveEpisodes(), "every episode was ended at the environment");
        List<int[]> contexts = new ArrayList<>();
        List<int[]> completions = new ArrayList<>();
        List<float[]> behaviour = new ArrayList<>();
        for (Episode e : episodes) {
            assertTrue(e.outcome() instanceof EpisodeOutcome.Finished
                    || e.outcome().equals(new EpisodeOutcome.Truncated(EpisodeOutcome.Limit.MAX_TURNS)), e.outcome()
                    + "");
            assertTrue(e.outcome().rewarded());
            int turns = e.steps().size();
            assertTrue(turns >= 1 && turns <= LIMITS.maxTurns());
            List<Segment.Kind> kinds = new ArrayList<>(List.of(Segment.Kind.CONTEXT));
            for (int t = 0; t < turns; t++) {
                kinds.add(Segment.Kind.POLICY);
                if (t < turns - 1) {
                    kinds.add(Segment.Kind.ENVIRONMENT);
                }
            }
            assertEquals(kinds, e.segments().stream().map(Segment::kind).toList(), e.episodeId());
            assertEquals(e.task().text(), TOKENIZER.decode(e.segments().get(0).tokens(), false));
            // the rewards and answers are the environment's for exactly these actions
            LocalEnvironment.Session replay = new GuessEnvironment(false).start(new EpisodeStart("r", e.task(), 0));
            String key = replay.first().stateKey();
            for (Step s : e.steps()) {
                assertEquals(key, s.stateKey());
                Transition t = replay.step(s.action());
                assertEquals(t.reward(), s.reward(), 0.0);
                assertEquals(t.done(), s.done());
                if (s.turn() < turns - 1) {
                    assertEquals(t.observation().text(), s.observation());
                    key = t.observation().stateKey();
                }
            }
            Episode.Sequence seq = e.sequence();
            assertNotNull(seq, "the plain format never re-renders");
            assertTrue(seq.tokens().length <= LIMITS.maxTokens());
            for (Episode.TurnRow row : e.turnRows()) {
                assertEquals(7, row.policyVersion());
                assertArrayEquals(Arrays.copyOf(seq.tokens(), row.context().length), row.context());
                contexts.add(row.context());
                completions.add(row.completion());
                behaviour.add(row.logprobs());
            }
        }
        // the learner's log-probabilities of every turn, recomputed from the whole context, equal the sampler's
        float[][] learner = TokenLogprobs.evaluate(model, contexts, completions, TOKENIZER.padId(), 1.0, 4096);
        for (int i = 0; i < learner.length; i++) {
            assertArrayEquals(behaviour.get(i), learner[i], 1e-4f, "turn row " + i);
        }
        TurnSampler.Stats stats = sampler.stats();
        assertEquals(0, stats.divergedTurns());
        assertTrue(stats.reusedTokens() > 0, "later turns continue the cache: " + stats);
    }

    /** An environment whose answers are another's, changed by a function per call (tests inject faults). */
    private abstract static class Wrapped implements Environment {
        final Environment inner = new JavaEnvironment(new GuessEnvironment(false), pool);

        @Override
        public CompletionStage<Observation> start(EpisodeStart start) {
            return inner.start(start);
        }

        @Override
        public CompletionStage<Transition> step(EpisodeStep step) {
            return inner.step(step);
        }

        @Override
        public CompletionStage<Void> end(String episodeId) {
            return inner.end(episodeId);
        }
    }

    @Test
    void aSlowEnvironmentHoldsOnlyItsOwnEpisode() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        CountDownLatch othersEnded = new CountDownLatch(7);
        AtomicInteger slowTurnsBeforeRelease = new AtomicInteger(-1);
        Environment env = new Wrapped() {
            @Override
            public CompletionStage<Transition> step(EpisodeStep step) {
                if (step.episodeId().equals("0/0") && step.turn() == 0) {
                    return release.thenCompose(v -> inner.step(step));
                }
                return inner.step(step);
            }

            @Override
            public CompletionStage<Void> end(String episodeId) {
                if (!episodeId.equals("0/0")) {
                    othersEnded.countDown();
                }
                return inner.end(episodeId);
            }
        };
        CompletableFuture<List<Episode>> result = CompletableFuture.supplyAsync(() -> {
            try {
                return run(env, Duration.ofMinutes(5), 0, specs(tasks(), 4));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // a liveness bound, not a speed measure: the others must end while episode 0/0 waits on its environment
        assertTrue(othersEnded.await(5, TimeUnit.MINUTES), "the other episodes ended while one waited");
        assertFalse(result.isDone());
        release.complete(null);
        List<Episode> episodes = result.get(5, TimeUnit.MINUTES);
        assertTrue(episodes.get(0).outcome().rewarded(), "the slow episode went on after its answer");
        assertTrue(episodes.stream().skip(1).mapToInt(e -> e.steps().size()).sum() >= 7);
    }

    @Test
    void eachEpisodeIsReportedAsItEndsSoAWholeGroupLeavesWhileAnotherWaits() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        Environment env = new Wrapped() {
            @Override
            public CompletionStage<Transition> step(EpisodeStep step) {
                if (step.episodeId().equals("0/0") && step.turn() == 0) {
                    return release.thenCompose(v -> inner.step(step));
                }
                return inner.step(step);
            }
        };
        List<String> ended = new CopyOnWriteArrayList<>();
        CountDownLatch secondGroupWhole = new CountDownLatch(4);
        CompletableFuture<List<Episode>> result = CompletableFuture.supplyAsync(() -> {
            try {
                return runner(new TurnSampler(model, TOKENIZER), env, Duration.ofMinutes(5), 0, false)
                        .run(specs(tasks(), 4), 1, 0, 7, e -> {
                            ended.add(e.episodeId());
                            if (e.episodeId().startsWith("1/")) {
                                secondGroupWhole.countDown();
                            }
                        });
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // a liveness bound, not a speed measure: task 1's group is whole while an episode of task 0 still waits
        assertTrue(secondGroupWhole.await(5, TimeUnit.MINUTES), "task 1's episodes all ended: " + ended);
        assertFalse(ended.contains("0/0"), "episode 0/0 still waits on its environment");
        assertFalse(result.isDone());
        release.complete(null);
        List<Episode> episodes = result.get(5, TimeUnit.MINUTES);
        assertEquals(8, ended.size(), "every episode reported once: " + ended);
        assertEquals(Set.copyOf(ended), Set.copyOf(episodes.stream().map(Episode::episodeId).toList()));
        assertEquals("0/0", ended.get(7), "the held episode ended last");
    }

    @Test
    void environmentFailuresEndEpisodesExplicitlyAndTakeNoPartInAdvantages() throws Exception {
        AtomicInteger flaky = new AtomicInteger();
        Environment env = new Wrapped() {
            @Override
            public CompletionStage<Observation> start(EpisodeStart start) {
                return switch (start.episodeId()) {
                    case "0/0" -> CompletableFuture.failedFuture(new EnvironmentFailure("no such game", false));
                    case "0/1" -> new CompletableFuture<>(); // never answers
                    default -> inner.start(start);
                };
            }

            @Override
            public CompletionStage<Transition> step(EpisodeStep step) {
                if (step.episodeId().equals("0/2") && step.turn() == 1) {
                    return CompletableFuture.failedFuture(new EnvironmentFailure("busy", true));
                }
                if (step.episodeId().equals("0/3") && step.turn() == 0 && flaky.getAndIncrement() == 0) {
                    return CompletableFuture.failedFuture(new EnvironmentFailure("hiccup", true));
                }
                return inner.step(step);
            }
        };
        // LIMITS allow 3 turns: episode 0/2 reaches turn 1 unless it finds "47" at once (then it is finished)
        List<Episode> episodes = run(env, Duration.ofSeconds(2), 2, specs(tasks().subList(0, 1), 4));
        assertEquals(new EpisodeOutcome.EnvironmentFailed("EnvironmentFailure: no such game", -1),
                episodes.get(0).outcome());
        assertInstanceOf(EpisodeOutcome.EnvironmentTimedOut.class, episodes.get(1).outcome());
        assertEquals(-1, ((EpisodeOutcome.EnvironmentTimedOut) episodes.get(1).outcome()).turn());
        Episode busy = episodes.get(2);
        if (!(busy.outcome() instanceof EpisodeOutcome.Finished)) {
            assertEquals(new EpisodeOutcome.EnvironmentFailed("EnvironmentFailure: busy (3 attempts)", 1),
                    busy.outcome());
            assertEquals(1, busy.steps().size(), "the unanswered turn is not part of the episode");
        }
        assertTrue(episodes.get(3).outcome().rewarded(), "a retried hiccup is not a failure");
        assertEquals(2, flaky.get());
        for (Episode e : episodes.subList(0, 2)) {
            assertFalse(e.outcome().rewarded());
            assertTrue(e.steps().isEmpty() && e.segments().isEmpty());
        }
        double[][] adv = EpisodeAdvantages.compute(episodes, new EpisodeAdvantages.Settings(
                EpisodeAdvantages.Estimator.GRPO, AdvantageScale.GROUP, null));
        if (!busy.outcome().rewarded()) {
            for (double a : adv[2]) {
                assertEquals(0.0, a, 0.0, "a failed episode's turns have advantage 0");
            }
        }
    }

    @Test
    void limitsTruncateEpisodes() throws Exception {
        JavaEnvironment env = new JavaEnvironment(new GuessEnvironment(false), pool);
        EpisodeLimits tight = new EpisodeLimits(5, 12, 4);
        EpisodeRunner r = new EpisodeRunner(new TurnSampler(model, TOKENIZER),
                new PlainTurnFormat(TOKENIZER, ToolCallFormat.PLAIN),
                new EnvironmentCalls(env, Duration.ofSeconds(30), 0, Duration.ofMillis(5), scheduler), tight, SAMPLING,
                16, false);
        for (Episode e : r.run(specs(tasks().subList(1, 2), 3), 2, 0, 0)) {
            // "???:" (4) + a turn (at most 4) + "???:" (4) leaves no room for another turn
            if (!(e.outcome() instanceof EpisodeOutcome.Finished)) {
                assertEquals(new EpisodeOutcome.Truncated(EpisodeOutcome.Limit.MAX_TOKENS), e.outcome());
            }
            assertEquals(1, e.steps().size());
            for (Episode.TurnRow row : e.turnRows()) {
                assertTrue(row.context().length + row.completion().length <= tight.maxTokens());
            }
        }
    }

    @Test
    void lockstepRunsAreBitIdenticalWhateverTheEnvironmentsTiming() throws Exception {
        Function<Integer, List<Episode>> once = salt -> {
            Environment jittery = new Wrapped() {
                @Override
                public CompletionStage<Transition> step(EpisodeStep step) {
                    long delay = ThreadLocalRandom.current().nextLong(20);
                    return CompletableFuture.supplyAsync(() -> null,
                            CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS))
                            .thenCompose(v -> inner.step(step));
                }
            };
            try {
                return runner(new TurnSampler(model, TOKENIZER), jittery, Duration.ofSeconds(30), 0, true)
                        .run(specs(tasks(), 3), 3, 1, 0);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        List<Episode> a = once.apply(0);
        List<Episode> b = once.apply(1);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).segments().size(), b.get(i).segments().size());
            for (int s = 0; s < a.get(i).segments().size(); s++) {
                Segment x = a.get(i).segments().get(s);
                Segment y = b.get(i).segments().get(s);
                assertArrayEquals(x.tokens(), y.tokens());
                if (x.logprobs() != null) {
                    assertArrayEquals(x.logprobs(), y.logprobs(), 0f, "bit-identical log-probabilities");
                }
            }
            assertEquals(a.get(i).steps(), b.get(i).steps());
        }
    }

    @Test
    void theSeedDecidesTheEpisodes() throws Exception {
        JavaEnvironment env = new JavaEnvironment(new GuessEnvironment(false), pool);
        Set<String> texts = ConcurrentHashMap.newKeySet();
        for (long seed : new long[] {1, 2}) {
            List<Episode> episodes = runner(new TurnSampler(model, TOKENIZER), env, Duration.ofSeconds(30), 0, true)
                    .run(specs(tasks().subList(0, 1), 2), seed, 0, 0);
            texts.add(episodes.get(0).steps().get(0).action().text());
        }
        assertEquals(2, texts.size(), "two seeds, two different first guesses: " + texts);
    }
}
