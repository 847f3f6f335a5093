package dev.groupflow.agent;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Runs a {@link LocalEnvironment} (a Java class) as an {@link Environment}: each call on the given executor, the
 * sessions kept by episode id. A step repeated with the turn number already answered (a retry after a lost
 * reply) gets the same answer again instead of acting twice.
 */
public final class JavaEnvironment implements Environment {
    private final LocalEnvironment environment;
    private final Executor executor;
    private final Map<String, Live> sessions = new ConcurrentHashMap<>();

    /** A session and its last answer. */
    private static final class Live {
        final LocalEnvironment.Session session;
        int lastTurn = -1;
        Transition lastAnswer;

        Live(LocalEnvironment.Session session) {
            this.session = session;
        }
    }

    public JavaEnvironment(LocalEnvironment environment, Executor executor) {
        this.environment = environment;
        this.executor = executor;
    }

    @Override
    public CompletionStage<Observation> start(EpisodeStart start) {
        return CompletableFuture.supplyAsync(() -> {
            LocalEnvironment.Session session = environment.start(start);
            Observation first = session.first();
            if (sessions.putIfAbsent(start.episodeId(), new Live(session)) != null) {
                session.end();
                throw new EnvironmentFailure("episode " + start.episodeId() + " was already started", false);
            }
            return first;
        }, executor);
    }

    @Override
    public CompletionStage<Transition> step(EpisodeStep step) {
        return CompletableFuture.supplyAsync(() -> {
            Live live = sessions.get(step.episodeId());
            if (live == null) {
                throw new EnvironmentFailure("no episode " + step.episodeId() + " (never started, or ended)", false);
            }
            synchronized (live) {
                if (step.turn() == live.lastTurn) {
                    return live.lastAnswer;
                }
                if (step.turn() != live.lastTurn + 1) {
                    throw new EnvironmentFailure("episode " + step.episodeId() + ": turn " + step.turn()
                            + " after turn " + live.lastTurn, false);
                }
                Transition t = live.session.step(step.action());
                if (t == null) {
                    throw new EnvironmentFailure("the environment returned no transition", false);
                }
                live.lastTurn = step.turn();
                live.lastAnswer = t;
                return t;
            }
        }, executor);
    }

    @Override
    public CompletionStage<Void> end(String episodeId) {
        return CompletableFuture.runAsync(() -> {
            Live live = sessions.remove(episodeId);
            if (live != null) {
                synchronized (live) {
                    live.session.end();
                }
            }
        }, executor);
    }

    /** Episodes started and not yet ended. */
    public int liveEpisodes() {
        return sessions.size();
    }
}
