package dev.groupflow.grpo;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything the learner's update depends on. Keys in {@code conf/groupflow.conf} under {@code grpo} and
 * {@code optim}; see {@code docs/algorithm.md} for the equations.
 *
 * @param groupSize G, completions per prompt
 * @param scale advantage scaling
 * @param aggregation loss reduction
 * @param ratioLevel token or sequence (GSPO) importance ratio
 * @param epsLow lower clip: ratio ≥ 1 − epsLow
 * @param epsHigh upper clip: ratio ≤ 1 + epsHigh (DAPO's clip-higher when &gt; epsLow)
 * @param beta coefficient of the k3 KL penalty to the reference model (0: no reference model at all)
 * @param isCap truncated importance sampling: the ratio is capped at this value (0 = off)
 * @param maskTruncated leave completions that hit the token limit out of the loss
 * @param numIterations μ, optimizer updates per batch
 * @param microBatchTokens padded tokens (rows × (prompt + completion width)) per micro-batch
 * @param maxCompletionLength the sampler's max new tokens (Dr. GRPO's constant normaliser)
 * @param temperature the sampling temperature the logits are divided by (0 counts as 1)
 * @param maxGradNorm global gradient-norm clip (0 = off)
 * @param schedule learning-rate schedule
 * @param beta1 AdamW β1
 * @param beta2 AdamW β2
 * @param adamEps AdamW ε
 * @param weightDecay AdamW decoupled weight decay (weights only, not norms or biases)
 * @param maxNonFinite consecutive non-finite updates after which training halts
 * @param refSyncEvery every this many updates the reference model moves towards the policy (0 = never)
 * @param refSyncAlpha ref ← α · policy + (1 − α) · ref at a sync
 */
public record GrpoConfig(int groupSize, AdvantageScale scale, Aggregation aggregation, RatioLevel ratioLevel,
                         double epsLow, double epsHigh, double beta, double isCap, boolean maskTruncated,
                         int numIterations, int microBatchTokens, int maxCompletionLength, double temperature,
                         double maxGradNorm, LrSchedule schedule, double beta1, double beta2, double adamEps,
                         double weightDecay, int maxNonFinite, int refSyncEvery, double refSyncAlpha) {

    /** TRL-like defaults with DAPO's token-mean aggregation and clip-higher. */
    public static GrpoConfig defaults(int groupSize, int maxCompletionLength) {
        return new GrpoConfig(groupSize, AdvantageScale.GROUP, Aggregation.TOKEN_MEAN, RatioLevel.TOKEN, 0.2, 0.28,
                0.0, 0.0, false, 1, 8192, maxCompletionLength, 1.0, 1.0, LrSchedule.constant(1e-6), 0.9, 0.999,
                1e-8, 0.0, 5, 0, 0.6);
    }

    /** Every violated constraint, as "key: problem" lines (empty when valid). */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (groupSize < 2) {
            p.add("grpo.group-size: must be >= 2 (advantages compare completions of one prompt), got " + groupSize);
        }
        if (!(epsLow >= 0 && epsLow < 1)) {
            p.add("grpo.eps-low: must be in [0, 1), got " + epsLow);
        }
        if (!(epsHigh >= 0)) {
            p.add("grpo.eps-high: must be >= 0, got " + epsHigh);
        }
        if (!(beta >= 0)) {
            p.add("grpo.beta: must be >= 0, got " + beta);
        }
        if (!(isCap == 0 || isCap >= 1)) {
            p.add("grpo.is-cap: must be 0 (off) or >= 1, got " + isCap);
        }
        if (numIterations < 1) {
            p.add("grpo.num-iterations: must be >= 1, got " + numIterations);
        }
        if (microBatchTokens < 1) {
            p.add("grpo.micro-batch-tokens: must be >= 1, got " + microBatchTokens);
        }
        if (maxCompletionLength < 1) {
            p.add("sampling.max-new-tokens: must be >= 1, got " + maxCompletionLength);
        }
        if (!(schedule.lr() > 0)) {
            p.add("optim.lr: must be > 0, got " + schedule.lr());
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            p.add("optim.beta1/beta2: must be in [0, 1)");
        }
        if (!(adamEps > 0)) {
            p.add("optim.eps: must be > 0, got " + adamEps);
        }
        if (!(weightDecay >= 0)) {
            p.add("optim.weight-decay: must be >= 0, got " + weightDecay);
        }
        if (!(maxGradNorm >= 0)) {
            p.add("optim.max-grad-norm: must be >= 0 (0 = off), got " + maxGradNorm);
        }
        if (maxNonFinite < 1) {
            p.add("grpo.max-non-finite: must be >= 1, got " + maxNonFinite);
        }
        if (refSyncEvery < 0 || !(refSyncAlpha > 0 && refSyncAlpha <= 1)) {
            p.add("grpo.ref-sync: every must be >= 0 and alpha in (0, 1]");
        }
        return p;
    }

    public GrpoLoss.Settings lossSettings() {
        return new GrpoLoss.Settings(aggregation, ratioLevel, epsLow, epsHigh, beta, isCap, maxCompletionLength);
    }

    /** A copy with some fields changed: {@code config.with(b -> b.beta = 0.04)}. */
    public GrpoConfig with(java.util.function.Consumer<Builder> edit) {
        Builder b = new Builder(this);
        edit.accept(b);
        return b.build();
    }

    /** Mutable copy of a config, see {@link #with}. */
    public static final class Builder {
        public int groupSize;
        public AdvantageScale scale;
        public Aggregation aggregation;
        public RatioLevel ratioLevel;
        public double epsLow;
        public double epsHigh;
        public double beta;
        public double isCap;
        public boolean maskTruncated;
        public int numIterations;
        public int microBatchTokens;
        public int maxCompletionLength;
        public double temperature;
        public double maxGradNorm;
        public LrSchedule schedule;
        public double beta1;
        public double beta2;
        public double adamEps;
        public double weightDecay;
        public int maxNonFinite;
        public int refSyncEvery;
        public double refSyncAlpha;

        Builder(GrpoConfig c) {
            groupSize = c.groupSize;
            scale = c.scale;
            aggregation = c.aggregation;
            ratioLevel = c.ratioLevel;
            epsLow = c.epsLow;
            epsHigh = c.epsHigh;
            beta = c.beta;
            isCap = c.isCap;
            maskTruncated = c.maskTruncated;
            numIterations = c.numIterations;
            microBatchTokens = c.microBatchTokens;
            maxCompletionLength = c.maxCompletionLength;
            temperature = c.temperature;
            maxGradNorm = c.maxGradNorm;
            schedule = c.schedule;
            beta1 = c.beta1;
            beta2 = c.beta2;
            adamEps = c.adamEps;
            weightDecay = c.weightDecay;
            maxNonFinite = c.maxNonFinite;
            refSyncEvery = c.refSyncEvery;
            refSyncAlpha = c.refSyncAlpha;
        }

        public GrpoConfig build() {
            return new GrpoConfig(groupSize, scale, aggregation, ratioLevel, epsLow, epsHigh, beta, isCap,
                    maskTruncated, numIterations, microBatchTokens, maxCompletionLength, temperature, maxGradNorm,
                    schedule, beta1, beta2, adamEps, weightDecay, maxNonFinite, refSyncEvery, refSyncAlpha);
        }
    }
}
