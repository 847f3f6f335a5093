package dev.groupflow.pipeline;

/**
 * One sampled completion travelling to the verifier stage.
 *
 * @param prompt the prompt it completes
 * @param sampleIndex which of the prompt's G completions (0 .. G-1)
 * @param groupSize G
 * @param policyVersion the learner version whose weights sampled it
 * @param tokens completion tokens (eos included when sampled)
 * @param logprobs behaviour log-probability of each token
 * @param text the decoded completion
 * @param truncated whether it hit the token limit
 */
public record Rollout(PromptWork prompt, int sampleIndex, int groupSize, long policyVersion, int[] tokens,
                      float[] logprobs, String text, boolean truncated) implements CborSerializable {
}
