package dev.groupflow.cluster;

import dev.groupflow.CborSerializable;
import dev.groupflow.pipeline.Rollout;
import java.util.List;

/**
 * A sampler worker's result: the job's rollouts, or why it could not sample (then the job is sent again).
 *
 * @param id the job's id
 * @param rollouts G completions of each prompt
 * @param failure what went wrong, or null
 * @param worker the worker's address
 */
public record SampleAnswer(long id, List<Rollout> rollouts, String failure, String worker) implements CborSerializable {
}
