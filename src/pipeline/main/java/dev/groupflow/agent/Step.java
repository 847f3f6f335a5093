package dev.groupflow.agent;

import dev.groupflow.CborSerializable;

/**
 * One policy turn of an episode and the environment's answer to it: what GiGPO's step advantage needs (the state
 * and the reward) and what a person reading the episode wants (the action and the observation).
 *
 * @param turn the turn number, from 0 (the i-th step belongs to the i-th policy segment)
 * @param stateKey the state the action was taken from (GiGPO's anchor): the environment's key, or a digest of the
 *     context the policy saw when the environment gave none
 * @param action what the policy did
 * @param reward the environment's immediate reward r_t
 * @param done whether the environment ended the episode with this step
 * @param observation the text the environment's answer added to the context (decoded), or null when the episode
 *     ended with this step
 */
public record Step(int turn, String stateKey, Action action, double reward, boolean done, String observation)
        implements CborSerializable {
}
