package dev.groupflow.cluster;

import dev.groupflow.CborSerializable;
import dev.groupflow.verify.Reward;

/**
 * A verifier worker's answer: a reward, or why it could not score.
 *
 * @param id the job's id
 * @param reward the reward, or null when it failed
 * @param failure what went wrong, or null
 * @param worker the worker's address (for diagnostics)
 */
public record VerifyAnswer(long id, Reward reward, String failure, String worker) implements CborSerializable {
}
