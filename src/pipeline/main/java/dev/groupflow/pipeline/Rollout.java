package dev.groupflow.pipeline;

import dev.groupflow.CborSerializable;
import dev.groupflow.verify.VerifyRequest;

/**
 * One sampled completion travelling to the verifier stage.
 *
 * @param prompt the prompt it completes
 * @param sampleIndex which of the prompt's G completions (0 .. G-1)
 * @param policyVersion the learner version whose weights sampled it
 * @param tokens completion tokens (eos included when sampled)
 * @param logprobs behaviour log-probability of each token
 * @param text the decoded completion
 * @param truncated whether it hit the token limit
 */
public record Rollout(PromptWork prompt, int sampleIndex, long policyVersion, int[] tokens, float[] logprobs,
                      String text, boolean truncated) implements CborSerializable {

    /** What the verifier scores: the prompt as the verifier sees it, the completion, its answer and length. */
    public VerifyRequest verifyRequest() {
        return new VerifyRequest(prompt.text(), text, prompt.answer(), prompt.metadata(), tokens.length);
    }
}
