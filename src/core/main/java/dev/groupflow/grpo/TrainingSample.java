package dev.groupflow.grpo;

import java.util.Map;

/**
 * One scored completion as the learner consumes it. Plain data (no tensors), so it can cross actor and machine
 * boundaries.
 *
 * @param promptKey stable id of the prompt (all members of a group share it)
 * @param sampleIndex which of the prompt's G samples
 * @param promptTokens the prompt as the policy saw it
 * @param completionTokens the sampled tokens (eos included when sampled)
 * @param behaviourLogprobs log-probability of each completion token under the policy that sampled it
 * @param reward the verifier's reward, or null when it failed or timed out (then the sample is left out of the
 *     group statistics and gets advantage 0)
 * @param rewardComponents named parts of the reward (empty when there is one)
 * @param truncated whether the completion hit the token limit
 * @param policyVersion the policy version that sampled it
 */
public record TrainingSample(long promptKey, int sampleIndex, int[] promptTokens, int[] completionTokens,
                             float[] behaviourLogprobs, Double reward, Map<String, Double> rewardComponents,
                             boolean truncated, long policyVersion) {

    public TrainingSample {
        rewardComponents = rewardComponents == null ? Map.of() : Map.copyOf(rewardComponents);
        if (behaviourLogprobs.length != completionTokens.length) {
            throw new IllegalArgumentException("prompt " + promptKey + " sample " + sampleIndex + ": "
                    + behaviourLogprobs.length + " behaviour log-probs for " + completionTokens.length + " tokens");
        }
    }

    /** Whether a reward is present and finite. */
    public boolean scored() {
        return reward != null && Double.isFinite(reward);
    }
}
