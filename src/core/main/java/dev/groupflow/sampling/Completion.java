package dev.groupflow.sampling;

/**
 * One sampled completion.
 *
 * @param promptKey the caller's stable id of the prompt (it seeds the randomness)
 * @param sampleIndex which of the prompt's samples this is (0 .. G-1)
 * @param tokens the completion's token ids: the forced prefix (if any), then the generated ones, including a final
 *     end-of-sequence token when one was sampled
 * @param logprobs for each sampled token, its log-probability under softmax(logits / temperature) of the policy that
 *     sampled it, before any top-k / top-p / min-p truncation (at temperature 0: under softmax(logits)); NaN for
 *     each of the {@code forced} first tokens, which were not sampled (their behaviour probability is not the
 *     policy's and must never be used as such: a learner training on them recomputes their log-probabilities)
 * @param text the decoded completion without special tokens, cut before a matched stop string
 * @param finishReason STOP (eos or stop string) or LENGTH (truncated at max new tokens)
 * @param stopString the stop string that ended it, or null
 * @param forced how many of the first tokens were forced (teacher-forced from a reference trace, G²RPO-A's
 *     guidance), 0 for a plain completion
 */
public record Completion(long promptKey, int sampleIndex, int[] tokens, float[] logprobs, String text,
                         FinishReason finishReason, String stopString, int forced) {

    /** A completion without a forced prefix. */
    public Completion(long promptKey, int sampleIndex, int[] tokens, float[] logprobs, String text,
                      FinishReason finishReason, String stopString) {
        this(promptKey, sampleIndex, tokens, logprobs, text, finishReason, stopString, 0);
    }

    public boolean truncated() {
        return finishReason == FinishReason.LENGTH;
    }
}
