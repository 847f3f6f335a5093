package dev.groupflow.agent;

import dev.groupflow.CborSerializable;

/**
 * One turn's action sent to the environment.
 *
 * @param episodeId the episode
 * @param turn the turn number, from 0; a retried step repeats it, so the environment can recognise a repeat
 * @param action what the policy did
 */
public record EpisodeStep(String episodeId, int turn, Action action) implements CborSerializable {
}
