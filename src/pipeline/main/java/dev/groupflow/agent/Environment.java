package dev.groupflow.agent;

import java.util.concurrent.CompletionStage;

/**
 * An environment the policy acts in, over several turns: the SPI of groupflow's agent training.
 *
 * <p>An episode is started for a task ({@link #start}: the first {@link Observation}, which may list tool schemas),
 * stepped once per policy turn with the policy's {@link Action} ({@link #step}: the next observation, the step's
 * reward, whether the episode is done, and the key of the state the next action is taken from), and ended
 * ({@link #end}) whatever happened, so the environment can free the episode. Calls of one episode never overlap;
 * calls of different episodes do, from any thread.
 *
 * <p>Everything is asynchronous so a slow environment holds no thread: return a stage that completes later.
 * A stage that fails (with {@link EnvironmentFailure} to say whether a retry could help) or does not complete in
 * time ends the episode with an explicit outcome ({@link EpisodeOutcome.EnvironmentFailed},
 * {@link EpisodeOutcome.EnvironmentTimedOut}), never with reward 0. A step may be sent again after a failure (same
 * episode id and turn): an environment should answer a repeated turn with the reply it already gave rather than
 * apply the action twice.
 *
 * <p>Three ways to provide one (docs/agents.md): a Java class ({@link LocalEnvironment} run by
 * {@link JavaEnvironment}, or this interface directly), an actor of the host application
 * ({@link ActorEnvironment}), or a service in another language speaking the HTTP JSON protocol
 * ({@link HttpEnvironment}).
 */
public interface Environment extends AutoCloseable {

    /** Starts an episode; completes with the first observation (never null). */
    CompletionStage<Observation> start(EpisodeStart start);

    /** Applies the policy's action of one turn. */
    CompletionStage<Transition> step(EpisodeStep step);

    /** Ends an episode (finished, truncated or abandoned): the environment may free it. */
    CompletionStage<Void> end(String episodeId);

    /** Frees the environment's resources (connections, threads) when the run ends. */
    @Override
    default void close() {
    }
}
