package dev.groupflow.agent;

import dev.groupflow.data.Prompt;

/**
 * An episode to run.
 *
 * @param episodeId unique within the run (the environment knows the episode by it)
 * @param episodeKey a stable number for the episode's group: with {@code sampleIndex} it seeds sampling
 * @param sampleIndex which of the group's G episodes
 * @param task the task
 * @param environmentSeed the seed the environment gets (the same for the whole group)
 */
public record EpisodeSpec(String episodeId, long episodeKey, int sampleIndex, Prompt task, long environmentSeed) {

    EpisodeStart start() {
        return new EpisodeStart(episodeId, task, environmentSeed);
    }
}
