package dev.groupflow.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * Picks one token per row from next-token logits, entirely on the logits' device.
 *
 * <p>Order of operations (as Hugging Face's generate): divide by the temperature, then keep the top-k, then the
 * top-p nucleus, then drop tokens below min-p times the most likely one; renormalise and draw by inverse CDF
 * with the row's uniform number. The returned log-probability is always that of the <em>untruncated</em>
 * tempered distribution {@code log_softmax(logits / temperature)}, the distribution the learner evaluates, so
 * importance ratios start at exactly 1 for on-policy samples. At temperature 0 the token is the argmax and its
 * log-probability is taken under {@code log_softmax(logits)}.
 */
public final class LogitsSampler {
    private static final float DROPPED = -1e30f;

    private LogitsSampler() {
    }

    /**
     * @param logits [N, V] float32
     * @param uniforms [N, 1] float32 in (0, 1), ignored when greedy
     * @return {tokens [N] int64, logprobs [N] float32}
     */
    public static NDList sample(NDArray logits, NDArray uniforms, SamplingParams p) {
        if (p.greedy()) {
            NDArray tokens = logits.argMax(-1);                                       // [N]
            NDArray logprobs = logits.logSoftmax(-1).gather(tokens.expandDims(1), 1).squeeze(1);
            return new NDList(tokens, logprobs);
        }
        long vocab = logits.getShape().get(1);
        NDArray logp = (p.temperature() == 1.0 ? logits : logits.div((float) p.temperature())).logSoftmax(-1);
        NDArray scores = logp;                                                         // [N, V]
        if (p.topK() > 0 && p.topK() < vocab) {
            NDArray kth = scores.topK(p.topK(), -1, true, true).get(0)                  // [N, k] descending
                    .get(":, -1:");                                                    // [N, 1]
            scores = drop(scores, scores.lt(kth));
        }
        if (p.topP() < 1.0) {
            NDArray sorted = scores.sort(-1).flip(1);                                  // [N, V] descending
            NDArray sortedProbs = sorted.softmax(-1);                                  // [N, V]
            NDArray before = sortedProbs.cumSum(1).sub(sortedProbs);                   // mass strictly before
            // keep a sorted position while the mass before it is < p; the first is always kept
            NDArray keep = before.lt((float) p.topP()).toType(DataType.INT64, false).sum(new int[] {1}, true);
            NDArray threshold = sorted.gather(keep.sub(1).maximum(0), 1);             // [N, 1]
            scores = drop(scores, scores.lt(threshold));
        }
        if (p.minP() > 0) {
            NDArray probs = logp.exp();
            NDArray floor = probs.max(new int[] {1}, true).mul((float) p.minP());     // [N, 1]
            scores = drop(scores, probs.lt(floor));
        }
        NDArray cdf = scores.softmax(-1).cumSum(1);                                   // [N, V]
        NDArray target = uniforms.mul(cdf.get(":, -1:"));                             // [N, 1]
        NDArray tokens = cdf.lt(target).toType(DataType.INT64, false).sum(new int[] {1})
                .minimum(vocab - 1);                                                   // [N]
        NDArray logprobs = logp.gather(tokens.expandDims(1), 1).squeeze(1);           // [N]
        return new NDList(tokens, logprobs);
    }

    /** Pushes masked scores to about {@link #DROPPED} (finite, so no NaN; softmax gives them exactly 0). */
    private static NDArray drop(NDArray scores, NDArray mask) {
        return scores.add(mask.toType(DataType.FLOAT32, false).mul(DROPPED));
    }
}
