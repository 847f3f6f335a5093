package dev.groupflow.agent;

import dev.groupflow.verify.ServiceFailure;

/**
 * An environment could not answer; {@link #retryable()} says whether the same call again could help (a busy
 * service: yes; an unknown episode or an invalid reply: no). It ends the episode with
 * {@link EpisodeOutcome.EnvironmentFailed} once retries are used up, never with reward 0.
 */
public class EnvironmentFailure extends ServiceFailure {
    private static final long serialVersionUID = 1L;

    public EnvironmentFailure(String message, boolean retryable) {
        super(message, retryable);
    }
}
