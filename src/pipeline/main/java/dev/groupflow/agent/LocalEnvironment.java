package dev.groupflow.agent;

/**
 * An environment written as plain synchronous Java: one {@link Session} object per episode, holding that
 * episode's state. {@link JavaEnvironment} runs it on an executor so its calls never block the sampler, and keeps
 * the sessions by episode id. Methods may throw: an {@link EnvironmentFailure} says whether a retry could help,
 * any other exception is a failure that may be retried.
 */
public interface LocalEnvironment {

    /** Sets up an episode of a task. */
    Session start(EpisodeStart start);

    /** One episode's state. Its methods are never called concurrently. */
    interface Session {

        /** The first observation. */
        Observation first();

        /** Applies one action. */
        Transition step(Action action);

        /** Frees the episode (called once, whatever happened). */
        default void end() {
        }
    }
}
