package dev.groupflow.sampling;

/**
 * One sampled completion.
 *
 * @param promptKey the caller's stable id of the prompt (it seeds the randomness)
 * @param sampleIndex which of the prompt's samples this is (0 .. G-1)
 * @param tokens the generated token ids, including a final end-of-sequence token when one was sampled
 * @param logprobs for each token, its log-probability under softmax(logits / temperature) of the policy that
 *     sampled it, before any top-k / top-p / min-p truncation (at temperature 0: under softmax(logits))
 * @param text the decoded completion without special tokens, cut before a matched stop string
 * @param finishReason STOP (eos or stop string) or LENGTH (truncated at max new tokens)
 * @param stopString the stop string that ended it, or null
 */
public record Completion(long promptKey, int sampleIndex, int[] tokens, float[] logprobs, String text,
                         FinishReason finishReason, String stopString) {

    public boolean truncated() {
        return finishReason == FinishReason.LENGTH;
    }
}
