package dev.groupflow.grpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.groupflow.model.Scalars;

/**
 * The GRPO objective for one micro-batch, written as the equations in {@code docs/algorithm.md}:
 *
 * <pre>
 *   log_ratio_t = cur_t − old_t                      (SEQUENCE: the masked mean over the sequence, every t)
 *   ratio_t     = exp(log_ratio_t)                    (truncated at is_cap in value, gradient scaled, if set)
 *   clipped_t   = clip(ratio_t, 1 − eps_low, 1 + eps_high)
 *   loss_t      = −min(ratio_t · A, clipped_t · A) + beta · (exp(ref_t − cur_t) − (ref_t − cur_t) − 1)
 *                 − entropy_coef · H_t                (H_t: entropy of the policy's distribution at t)
 * </pre>
 *
 * reduced by the {@link Aggregation} with normalisers of the <em>whole</em> batch, so summing the micro-batch
 * losses (and their gradients) gives exactly the whole-batch loss whatever the micro-batch size.
 */
public final class GrpoLoss {
    private GrpoLoss() {
    }

    /**
     * The objective's settings ({@link GrpoConfig#loss}).
     *
     * @param aggregation loss reduction
     * @param ratioLevel token or sequence (GSPO) importance ratio
     * @param epsLow lower clip: ratio ≥ 1 − epsLow
     * @param epsHigh upper clip: ratio ≤ 1 + epsHigh (DAPO's clip-higher when &gt; epsLow)
     * @param beta coefficient of the k3 KL penalty to the reference model (0: no reference model at all)
     * @param isCap truncated importance sampling: the ratio is capped at this value (0 = off)
     * @param maxCompletionLength the sampler's max new tokens (Dr. GRPO's constant normaliser)
     * @param entropyCoef coefficient of the entropy bonus, subtracted from the loss (0 = none; verl's entropy_coeff)
     */
    public record Settings(Aggregation aggregation, RatioLevel ratioLevel, double epsLow, double epsHigh, double beta,
                           double isCap, int maxCompletionLength, double entropyCoef) {

        /** Without an entropy bonus. */
        public Settings(Aggregation aggregation, RatioLevel ratioLevel, double epsLow, double epsHigh, double beta,
                        double isCap, int maxCompletionLength) {
            this(aggregation, ratioLevel, epsLow, epsHigh, beta, isCap, maxCompletionLength, 0.0);
        }
    }

    /**
     * Whole-batch constants the aggregation divides by.
     *
     * @param sequences B, rows of the whole batch
     * @param tokens completion tokens of the whole batch that are in the loss
     */
    public record Normaliser(int sequences, long tokens) {
    }

    /**
     * The micro-batch's share of the loss, and per-token diagnostics (no gradient).
     *
     * @param loss scalar, differentiable w.r.t. {@code cur}
     * @param ratio [b, C] importance ratios (detached)
     * @param lowClipped [b, C] 1 where the ratio fell below 1 − eps_low with A &lt; 0 (objective clipped)
     * @param highClipped [b, C] 1 where the ratio rose above 1 + eps_high with A &gt; 0 (objective clipped)
     * @param kl [b, C] the k3 estimate of KL(π_θ ‖ π_ref) per token (zeros when beta = 0)
     */
    public record Output(NDArray loss, NDArray ratio, NDArray lowClipped, NDArray highClipped, NDArray kl) {
    }

    /** {@link #compute(NDArray, NDArray, NDArray, NDArray, NDArray, NDArray, Settings, Normaliser)} without entropy. */
    public static Output compute(NDArray cur, NDArray old, NDArray ref, NDArray mask, NDArray advantages,
                                 Settings s, Normaliser n) {
        return compute(cur, old, ref, null, mask, advantages, s, n);
    }

    /**
     * @param cur [b, C] log-probabilities under the policy being trained (with gradient)
     * @param old [b, C] log-probabilities the ratio is taken against (behaviour, or the first pass's)
     * @param ref [b, C] reference-model log-probabilities, or null when beta = 0
     * @param entropy [b, C] entropy of the policy's distribution at each position (with gradient), or null when
     *     entropy_coef = 0
     * @param mask [b, C] 1 for completion tokens in the loss, 0 for padding and masked-out tokens
     * @param advantages [b] one advantage per sequence
     */
    public static Output compute(NDArray cur, NDArray old, NDArray ref, NDArray entropy, NDArray mask,
                                 NDArray advantages, Settings s, Normaliser n) {
        if (s.entropyCoef() != 0 && entropy == null) {
            throw new IllegalArgumentException("an entropy bonus (entropy_coef " + s.entropyCoef()
                    + ") needs the entropies");
        }
        Shape shape = cur.getShape();
        // positions outside the mask (padding) may hold -inf (a token the model never generates, such as the pad
        // token, has log-probability -inf): keep them out of the arithmetic, where -inf - -inf or -inf * 0 is NaN
        // (clamped to a finite floor first, then zeroed by the mask: no gradient reaches those positions)
        cur = finiteUnderMask(cur, mask);                                               // [b, C]
        old = finiteUnderMask(old, mask);                                               // [b, C]
        if (ref != null) {
            ref = finiteUnderMask(ref, mask);                                           // [b, C]
        }
        NDArray tokensPerSeq = mask.sum(new int[] {1}).maximum(1.0);                  // [b]
        NDArray logRatio = cur.sub(old);                                                // [b, C]
        if (s.ratioLevel() == RatioLevel.SEQUENCE) {
            NDArray seq = logRatio.mul(mask).sum(new int[] {1}).div(tokensPerSeq);    // [b]
            logRatio = seq.expandDims(1).broadcast(shape);                              // [b, C]
        }
        NDArray ratio = logRatio.exp();                                                 // [b, C]
        if (s.isCap() > 0) {
            // value min(ratio, cap); where truncated the gradient is scaled by cap / ratio instead of cut off
            NDArray scale = ratio.stopGradient().pow(-1).mul(s.isCap()).minimum(1.0);
            ratio = ratio.mul(scale);
        }
        NDArray a = advantages.expandDims(1);                                           // [b, 1]
        NDArray clipped = ratio.clip(1 - s.epsLow(), 1 + s.epsHigh());                  // [b, C]
        NDArray perToken = ratio.mul(a).minimum(clipped.mul(a)).neg();                  // [b, C]
        NDArray kl = null;
        if (s.beta() != 0) {
            NDArray d = ref.sub(cur);                                                   // [b, C]
            kl = d.exp().sub(d).sub(1.0);                                               // k3 ≥ 0
            perToken = perToken.add(Scalars.mul(kl, s.beta()));
        }
        if (s.entropyCoef() != 0) {
            perToken = perToken.sub(Scalars.mul(entropy.mul(mask), s.entropyCoef()));
        }
        NDArray masked = perToken.mul(mask);
        NDArray loss = switch (s.aggregation()) {
            case SEQ_MEAN_TOKEN_MEAN -> Scalars.div(masked.sum(new int[] {1}).div(tokensPerSeq).sum(), n.sequences());
            case TOKEN_MEAN -> Scalars.div(masked.sum(), Math.max(1, n.tokens()));
            case SEQ_SUM_NORM -> Scalars.div(masked.sum(), (double) n.sequences() * s.maxCompletionLength());
        };
        NDArray r = ratio.stopGradient();
        NDArray negative = a.lt(0).toType(DataType.FLOAT64, false);
        NDArray positive = a.gt(0).toType(DataType.FLOAT64, false);
        NDArray low = r.lt(1 - s.epsLow()).toType(DataType.FLOAT64, false).mul(negative).mul(mask);
        NDArray high = r.gt(1 + s.epsHigh()).toType(DataType.FLOAT64, false).mul(positive).mul(mask);
        NDArray klOut = kl == null ? mask.zerosLike() : kl.stopGradient().mul(mask);
        return new Output(loss, r, low, high, klOut);
    }

    /** Log-probabilities with every position outside the mask set to 0 (they may be -inf there). */
    private static NDArray finiteUnderMask(NDArray logprobs, NDArray mask) {
        return Scalars.maximum(logprobs, -1e4).mul(mask);
    }
}
