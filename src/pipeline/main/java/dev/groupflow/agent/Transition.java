package dev.groupflow.agent;

import dev.groupflow.CborSerializable;

/**
 * The environment's answer to one action.
 *
 * @param observation what the policy sees next (appended to its context); may be null when {@code done}
 * @param reward the step's immediate reward r_t (finite); the episode's return is the sum over its steps
 * @param done whether the episode ended (the task solved or failed for good)
 */
public record Transition(Observation observation, double reward, boolean done) implements CborSerializable {

    public Transition {
        if (!Double.isFinite(reward)) {
            throw new EnvironmentFailure("the environment gave a non-finite reward " + reward, false);
        }
        if (observation == null && !done) {
            throw new EnvironmentFailure("the environment gave no observation for an episode that is not done",
                    false);
        }
    }
}
