package dev.groupflow.agent;

import dev.groupflow.data.Prompt;
import dev.groupflow.CborSerializable;

/**
 * The start of an episode.
 *
 * @param episodeId unique within the run; every later call of the episode names it
 * @param task what the episode is about: a prompt row (text or messages, answer, metadata) the environment sets
 *     itself up from; the policy sees only what the environment's observations show
 * @param seed for an environment that needs randomness: the same for all G episodes of a group (they must start
 *     from the same state) and for a resumed run
 */
public record EpisodeStart(String episodeId, Prompt task, long seed) implements CborSerializable {
}
