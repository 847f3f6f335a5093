package dev.groupflow.agent;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.groupflow.CborSerializable;

/**
 * How an episode ended. Only {@link Finished} and {@link Truncated} episodes have a return (the sum of their step
 * rewards) and train; an episode whose environment failed or timed out has none: it is left out of its group's
 * statistics and trains with advantage 0 (its reward is unknown, not 0).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = EpisodeOutcome.Finished.class, name = "finished"),
    @JsonSubTypes.Type(value = EpisodeOutcome.Truncated.class, name = "truncated"),
    @JsonSubTypes.Type(value = EpisodeOutcome.EnvironmentFailed.class, name = "environment-failed"),
    @JsonSubTypes.Type(value = EpisodeOutcome.EnvironmentTimedOut.class, name = "environment-timed-out")
})
public sealed interface EpisodeOutcome extends CborSerializable {

    /** Whether the episode has a return to train on. */
    default boolean rewarded() {
        return this instanceof Finished || this instanceof Truncated;
    }

    /**
     * A short name for metrics and logs: finished, max_turns, max_tokens, environment_failed,
     * environment_timed_out.
     */
    default String label() {
        if (this instanceof Truncated t) {
            return t.limit() == Limit.MAX_TURNS ? "max_turns" : "max_tokens";
        }
        return this instanceof Finished ? "finished"
                : this instanceof EnvironmentFailed ? "environment_failed" : "environment_timed_out";
    }

    /** The environment said done. */
    record Finished() implements EpisodeOutcome {
    }

    /** A limit ended the episode before the environment did; the rewards so far stand. */
    record Truncated(Limit limit) implements EpisodeOutcome {
    }

    /** The episode limits. */
    enum Limit {
        /** The policy had its last turn. */
        MAX_TURNS,
        /** The episode's tokens (prompt, turns and observations) reached the limit. */
        MAX_TOKENS
    }

    /** The environment failed (after any retries) at {@code turn} (-1 = while starting). */
    record EnvironmentFailed(String reason, int turn) implements EpisodeOutcome {
    }

    /** The environment did not answer in time at {@code turn} (-1 = while starting). */
    record EnvironmentTimedOut(String what, int turn) implements EpisodeOutcome {
    }
}
