package dev.groupflow.agent;

import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.sampling.TurnSampler;
import dev.groupflow.verify.RetryingCalls;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs episodes to their end on the calling thread: starts them all, and whenever some are ready samples their
 * next turns together ({@link TurnSampler}) and sends the actions to the environment; the answers come back on
 * the environment's threads and are applied here. An episode waiting for its environment is simply not in the
 * next batch, so a slow environment never holds the others back; an episode that ends leaves at once.
 *
 * <p>In lockstep mode a batch is sampled only when no environment call is outstanding, with the ready episodes
 * in the order given: which episodes share a batch then never depends on timing, so a deterministic environment
 * gives bit-identical episodes (deterministic mode). Otherwise batches are whatever is ready.
 */
public final class EpisodeRunner {
    private final TurnSampler sampler;
    private final TurnFormat format;
    private final EnvironmentCalls environment;
    private final EpisodeLimits limits;
    private final SamplingParams params;
    private final int maxBatch;
    private final boolean lockstep;
    private final AtomicLong episodes = new AtomicLong();
    private final AtomicLong turns = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();

    /** Totals since this runner was made. */
    public record Stats(long episodes, long turns, long batches) {
    }

    /**
     * @param params sampling of every turn (its {@code maxNewTokens} is replaced by the limits' turn tokens)
     * @param maxBatch the most episodes sampled together
     * @param lockstep batches independent of timing (deterministic mode)
     */
    public EpisodeRunner(TurnSampler sampler, TurnFormat format, EnvironmentCalls environment, EpisodeLimits limits,
                         SamplingParams params, int maxBatch, boolean lockstep) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
        }
        this.sampler = sampler;
        this.format = format;
        this.environment = environment;
        this.limits = limits;
        this.params = new SamplingParams(params.temperature(), params.topK(), params.topP(), params.minP(),
                limits.maxTurnTokens(), params.stop());
        this.maxBatch = maxBatch;
        this.lockstep = lockstep;
    }

    public Stats stats() {
        return new Stats(episodes.get(), turns.get(), batches.get());
    }

    /** An environment's answer for one episode. */
    private record Event(EpisodeState state, boolean start, RetryingCalls.Result<?> result, Throwable error) {
    }

    /**
     * Runs the episodes to their end.
     *
     * @param seed with {@code step}, seeds sampling (each episode by its key and sample index)
     * @param policyVersion recorded on every policy turn
     * @return the episodes, in the order of {@code specs}
     */
    public List<Episode> run(List<EpisodeSpec> specs, long seed, long step, long policyVersion)
            throws InterruptedException {
        return run(specs, seed, step, policyVersion, e -> { });
    }

    /**
     * As {@link #run(List, long, long, long)}, telling {@code ended} (on the calling thread) about each episode as
     * soon as it has ended, so a caller can pass on a group whose episodes have all ended while others still run.
     */
    public List<Episode> run(List<EpisodeSpec> specs, long seed, long step, long policyVersion,
                             Consumer<Episode> ended) throws InterruptedException {
        return run(specs, seed, step, policyVersion, ended, () -> false);
    }

    /**
     * As {@link #run(List, long, long, long, Consumer)}, giving up between two turns once {@code stop} says so (the
     * run is over): the episodes still going end as {@link EpisodeOutcome.EnvironmentFailed} "abandoned" (their
     * environment sessions are still ended), and {@code ended} is not told about them.
     */
    public List<Episode> run(List<EpisodeSpec> specs, long seed, long step, long policyVersion,
                             Consumer<Episode> ended, BooleanSupplier stop) throws InterruptedException {
        BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        List<EpisodeState> states = new ArrayList<>();
        List<CompletableFuture<Void>> ends = new ArrayList<>();
        for (EpisodeSpec spec : specs) {
            EpisodeState s = new EpisodeState(spec, format, limits);
            states.add(s);
            environment.start(spec.start()).whenComplete((r, e) -> events.add(new Event(s, true, r, e)));
        }
        int pending = specs.size();
        int live = specs.size();
        try {
            while (live > 0 && !stop.getAsBoolean()) {
                boolean anyReady = states.stream().anyMatch(s -> s.phase() == EpisodeState.Phase.READY);
                Event ev = !anyReady || (lockstep && pending > 0) ? events.take() : events.poll();
                for (; ev != null; ev = events.poll()) {
                    pending--;
                    apply(ev);
                    if (ev.state().phase() == EpisodeState.Phase.ENDED) {
                        live--;
                        ends.add(environment.end(ev.state().spec().episodeId()).toCompletableFuture());
                        ended.accept(ev.state().episode());
                    }
                }
                if (lockstep && pending > 0) {
                    continue;
                }
                List<EpisodeState> ready = states.stream()
                        .filter(s -> s.phase() == EpisodeState.Phase.READY).limit(maxBatch).toList();
                if (ready.isEmpty()) {
                    continue;
                }
                List<TurnSampler.Turn> done = sampler.generate(ready.stream().map(EpisodeState::request).toList(),
                        params, seed, step);
                batches.incrementAndGet();
                for (int i = 0; i < ready.size(); i++) {
                    EpisodeState s = ready.get(i);
                    EpisodeStep st = s.turned(done.get(i), policyVersion);
                    turns.incrementAndGet();
                    pending++;
                    environment.step(st).whenComplete((r, e) -> events.add(new Event(s, false, r, e)));
                }
            }
        } finally {
            for (EpisodeState s : states) {
                if (s.phase() != EpisodeState.Phase.ENDED) {
                    s.end(new EpisodeOutcome.EnvironmentFailed("abandoned: the run stopped", s.turns()));
                    ends.add(environment.end(s.spec().episodeId()).toCompletableFuture());
                }
            }
            CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).join();
        }
        episodes.addAndGet(states.size());
        return states.stream().map(EpisodeState::episode).toList();
    }

    private void apply(Event ev) {
        EpisodeState s = ev.state();
        int turn = ev.start() ? -1 : s.turns() - 1;
        RetryingCalls.Result<?> r = ev.result() != null ? ev.result()
                : new RetryingCalls.Failed<>(String.valueOf(ev.error()), 1, 0);
        if (!(r instanceof RetryingCalls.Done<?> d)) {
            s.end(EnvironmentCalls.outcome(r, turn));
        } else if (ev.start()) {
            s.started((Observation) d.value());
        } else {
            s.stepped((Transition) d.value());
        }
    }
}
