package dev.groupflow.cluster;

import dev.groupflow.CborSerializable;
import dev.groupflow.pipeline.PromptWork;
import dev.groupflow.pipeline.RolloutSampler;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Prompts to complete on a sampler worker, with the policy version to use. The weights are not in the message:
 * {@code weightsDir} is a checkpoint directory of that version (config, safetensors, tokenizer) every node can read.
 *
 * @param id the learner's id of the job
 * @param prompts the prompts
 * @param sampling G, the sampling settings and the run's seed (with each prompt's key it fixes the randomness,
 *     wherever the job runs)
 * @param version the policy version to sample with
 * @param weightsDir where that version's weights are
 * @param replyTo where the rollouts go
 */
public record SampleJob(long id, List<PromptWork> prompts, RolloutSampler.Settings sampling, long version,
                        String weightsDir, ActorRef<SampleAnswer> replyTo) implements CborSerializable {
}
