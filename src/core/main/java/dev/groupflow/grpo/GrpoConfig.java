package dev.groupflow.grpo;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Everything the learner's update depends on, grouped as the update uses it. Keys in {@code conf/groupflow.conf}
 * under {@code grpo} and {@code optim}; see {@code docs/algorithm.md} for the equations. {@link #with} changes
 * single values by name.
 *
 * @param groupSize G, completions per prompt
 * @param scale advantage scaling
 * @param ngrpo NGRPO's virtual samples ({@code grpo.advantage = ngrpo}), or null for GRPO's group advantage
 * @param loss the objective: aggregation, ratio level, clip range, KL coefficient, IS cap
 * @param passes how a batch is gone over: μ updates, micro-batches, masking, the logits' temperature
 * @param optim AdamW, its learning-rate schedule and the gradient clip
 * @param referenceSync how the reference model moves towards the policy
 * @param maxNonFinite consecutive non-finite updates after which training halts
 */
public record GrpoConfig(int groupSize, AdvantageScale scale, Ngrpo ngrpo, GrpoLoss.Settings loss, Passes passes,
                         Optim optim, ReferenceSync referenceSync, int maxNonFinite) {

    /**
     * How the learner goes over a batch.
     *
     * @param numIterations μ, optimizer updates per batch
     * @param microBatchTokens padded tokens (rows × (prompt + completion width)) per micro-batch
     * @param maskTruncated leave completions that hit the token limit out of the loss
     * @param trainForced train on the forced (guidance) tokens of guided completions too, as G²RPO-A's authors do;
     *     their log-probabilities are then recomputed by the learner. Off: they stay out of the loss, KL and clip
     *     statistics
     * @param temperature the sampling temperature the logits are divided by (0 counts as 1)
     */
    public record Passes(int numIterations, int microBatchTokens, boolean maskTruncated, boolean trainForced,
                         double temperature) {
    }

    /**
     * The optimizer.
     *
     * @param schedule learning-rate schedule
     * @param beta1 AdamW β1
     * @param beta2 AdamW β2
     * @param eps AdamW ε
     * @param weightDecay AdamW decoupled weight decay (weights only, not norms or biases)
     * @param maxGradNorm global gradient-norm clip (0 = off)
     */
    public record Optim(LrSchedule schedule, double beta1, double beta2, double eps, double weightDecay,
                        double maxGradNorm) {
    }

    /**
     * Every {@code every} updates the reference becomes α · policy + (1 − α) · reference.
     *
     * @param every updates between syncs (0 = never: the reference stays the initial policy)
     * @param alpha α
     */
    public record ReferenceSync(int every, double alpha) {
    }

    /** TRL-like defaults with DAPO's token-mean aggregation and clip-higher. */
    public static GrpoConfig defaults(int groupSize, int maxCompletionLength) {
        return new GrpoConfig(groupSize, AdvantageScale.GROUP, null,
                new GrpoLoss.Settings(Aggregation.TOKEN_MEAN, RatioLevel.TOKEN, 0.2, 0.28, 0.0, 0.0,
                        maxCompletionLength),
                new Passes(1, 8192, false, false, 1.0),
                new Optim(LrSchedule.constant(1e-6), 0.9, 0.999, 1e-8, 0.0, 1.0),
                new ReferenceSync(0, 0.6), 5);
    }

    /** Every violated constraint, as "key: problem" lines (empty when valid). */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (groupSize < 2) {
            p.add("grpo.group-size: must be >= 2 (advantages compare completions of one prompt), got " + groupSize);
        }
        if (ngrpo != null && scale != AdvantageScale.GROUP) {
            p.add("grpo.advantage: ngrpo normalises by each group's own statistics (with its virtual samples); it "
                    + "needs grpo.scale = group, got " + OptionNames.of(scale));
        }
        if (!(loss.epsLow() >= 0 && loss.epsLow() < 1)) {
            p.add("grpo.eps-low: must be in [0, 1), got " + loss.epsLow());
        }
        if (!(loss.epsHigh() >= 0)) {
            p.add("grpo.eps-high: must be >= 0, got " + loss.epsHigh());
        }
        if (!(loss.beta() >= 0)) {
            p.add("grpo.beta: must be >= 0, got " + loss.beta());
        }
        if (!(loss.entropyCoef() >= 0 && Double.isFinite(loss.entropyCoef()))) {
            p.add("grpo.entropy-coef: must be >= 0 (0 = no entropy bonus), got " + loss.entropyCoef());
        }
        if (!(loss.isCap() == 0 || loss.isCap() >= 1)) {
            p.add("grpo.is-cap: must be 0 (off) or >= 1, got " + loss.isCap());
        }
        if (passes.numIterations() < 1) {
            p.add("grpo.num-iterations: must be >= 1, got " + passes.numIterations());
        }
        if (passes.microBatchTokens() < 1) {
            p.add("grpo.micro-batch-tokens: must be >= 1, got " + passes.microBatchTokens());
        }
        if (loss.maxCompletionLength() < 1) {
            p.add("sampling.max-new-tokens: must be >= 1, got " + loss.maxCompletionLength());
        }
        if (!(optim.schedule().lr() > 0)) {
            p.add("optim.lr: must be > 0, got " + optim.schedule().lr());
        }
        if (!(optim.beta1() >= 0 && optim.beta1() < 1) || !(optim.beta2() >= 0 && optim.beta2() < 1)) {
            p.add("optim.beta1/beta2: must be in [0, 1)");
        }
        if (!(optim.eps() > 0)) {
            p.add("optim.eps: must be > 0, got " + optim.eps());
        }
        if (!(optim.weightDecay() >= 0)) {
            p.add("optim.weight-decay: must be >= 0, got " + optim.weightDecay());
        }
        if (!(optim.maxGradNorm() >= 0)) {
            p.add("optim.max-grad-norm: must be >= 0 (0 = off), got " + optim.maxGradNorm());
        }
        if (maxNonFinite < 1) {
            p.add("grpo.max-non-finite: must be >= 1, got " + maxNonFinite);
        }
        if (referenceSync.every() < 0 || !(referenceSync.alpha() > 0 && referenceSync.alpha() <= 1)) {
            p.add("grpo.ref-sync: every must be >= 0 and alpha in (0, 1]");
        }
        return p;
    }

    /** A copy with some fields changed: {@code config.with(b -> b.beta = 0.04)}. */
    public GrpoConfig with(Consumer<Builder> edit) {
        Builder b = new Builder(this);
        edit.accept(b);
        return b.build();
    }

    /** A mutable copy of a config, every value by its name, see {@link #with}. */
    public static final class Builder {
        public int groupSize;
        public AdvantageScale scale;
        public Ngrpo ngrpo;
        public Aggregation aggregation;
        public RatioLevel ratioLevel;
        public double epsLow;
        public double epsHigh;
        public double beta;
        public double isCap;
        public double entropyCoef;
        public boolean maskTruncated;
        public boolean trainForced;
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
            ngrpo = c.ngrpo;
            aggregation = c.loss.aggregation();
            ratioLevel = c.loss.ratioLevel();
            epsLow = c.loss.epsLow();
            epsHigh = c.loss.epsHigh();
            beta = c.loss.beta();
            isCap = c.loss.isCap();
            entropyCoef = c.loss.entropyCoef();
            maxCompletionLength = c.loss.maxCompletionLength();
            numIterations = c.passes.numIterations();
            microBatchTokens = c.passes.microBatchTokens();
            maskTruncated = c.passes.maskTruncated();
            trainForced = c.passes.trainForced();
            temperature = c.passes.temperature();
            schedule = c.optim.schedule();
            beta1 = c.optim.beta1();
            beta2 = c.optim.beta2();
            adamEps = c.optim.eps();
            weightDecay = c.optim.weightDecay();
            maxGradNorm = c.optim.maxGradNorm();
            refSyncEvery = c.referenceSync.every();
            refSyncAlpha = c.referenceSync.alpha();
            maxNonFinite = c.maxNonFinite;
        }

        public GrpoConfig build() {
            return new GrpoConfig(groupSize, scale, ngrpo, new GrpoLoss.Settings(aggregation, ratioLevel, epsLow,
                    epsHigh, beta, isCap, maxCompletionLength, entropyCoef), new Passes(numIterations, microBatchTokens,
                    maskTruncated, trainForced, temperature),
                    new Optim(schedule, beta1, beta2, adamEps, weightDecay, maxGradNorm),
                    new ReferenceSync(refSyncEvery, refSyncAlpha), maxNonFinite);
        }
    }
}
