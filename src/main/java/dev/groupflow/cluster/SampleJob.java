package dev.groupflow.cluster;

import dev.groupflow.pipeline.CborSerializable;
import dev.groupflow.pipeline.PromptWork;
import dev.groupflow.sampling.SamplingParams;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Prompts to complete on a sampler worker, with the policy version to use. The weights are not in the message:
 * {@code weightsDir} is a checkpoint directory of that version (config, safetensors, tokenizer) every node can read.
 *
 * @param id the learner's id of the job
 * @param prompts the prompts
 * @param groupSize completions per prompt
 * @param version the policy version to sample with
 * @param weightsDir where that version's weights are
 * @param params sampling settings
 * @param seed the run's seed (with each prompt's key it fixes the randomness, wherever the job runs)
 * @param replyTo where the rollouts go
 */
public record SampleJob(long id, List<PromptWork> prompts, int groupSize, long version, String weightsDir,
                        SamplingParams params, long seed, ActorRef<SampleAnswer> replyTo) implements CborSerializable {
}
