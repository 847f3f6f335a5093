package dev.groupflow.grpo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.LogprobGraph;
import dev.groupflow.model.TokenLogprobs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The GRPO update, as a plain Java API: give it B groups of G scored completions, it takes
 * {@code num_iterations} optimizer steps on them and returns the step's metrics.
 *
 * <p>One call, top to bottom: advantages per group (GRPO's, or NGRPO's with virtual samples) → (beta &gt; 0)
 * reference log-probs → for each pass: for each micro-batch of at most {@code micro_batch_tokens} padded tokens,
 * current log-probs → loss with whole-batch normalisers → backward (gradients accumulate) → global-norm clip →
 * AdamW, or a skipped update when the loss or the gradient is not finite. In passes after the first the ratio is
 * taken against the first pass's log-probs; in the first, against the behaviour log-probs the sampler recorded.
 *
 * <p>Forced tokens (the guidance prefix of G²RPO-A's guided completions, {@link TrainingSample#forced}) were not
 * sampled, so they have no behaviour log-probability. By default they are left out of the loss, the KL and the clip
 * and entropy statistics (they stay in the context the later tokens are conditioned on). With
 * {@code trainForced} they are trained on like sampled tokens, against log-probabilities the learner recomputes
 * with the current policy before the first pass (as the authors' code, where {@code old_logps = logps.detach()}).
 *
 * <p>The learner owns gradients: it must run on one thread (DJL allows one {@link GradientCollector} per JVM).
 */
public final class Learner implements AutoCloseable {
    private final CausalLm policy;
    private final CausalLm reference;
    private final GrpoConfig config;
    private final int padId;
    private final AdamW optimizer;
    private Runnable beforeUpdate = () -> { };
    private long updates;
    private long skippedUpdates;
    private int consecutiveNonFinite;

    /** Counters a checkpoint must keep besides the weights. */
    public record State(long updates, long skippedUpdates, int consecutiveNonFinite, AdamW.State optimizer) {
    }

    /**
     * What a step did: whether its last pass updated the weights, its metrics (see docs/algorithm.md), and the
     * advantage of every sample, group by group in input order.
     */
    public record StepResult(boolean updated, Map<String, Double> metrics, double[] advantages) {
    }

    /**
     * @param reference the frozen reference model; required when beta &gt; 0 and refused when beta = 0 (then no
     *     reference model exists at all)
     */
    public Learner(CausalLm policy, CausalLm reference, GrpoConfig config, int padId) {
        List<String> problems = config.problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        if ((config.loss().beta() > 0) != (reference != null)) {
            throw new IllegalArgumentException(config.loss().beta() > 0
                    ? "grpo.beta > 0 needs a reference model" : "grpo.beta = 0: no reference model is used");
        }
        this.policy = policy;
        this.reference = reference;
        this.config = config;
        this.padId = padId;
        policy.setRequiresGradient(true);
        if (reference != null) {
            reference.setRequiresGradient(false);
        }
        GrpoConfig.Optim o = config.optim();
        this.optimizer = new AdamW(policy.manager(), o.beta1(), o.beta2(), o.eps(), o.weightDecay());
    }

    /**
     * Runs {@code hook} before every optimizer update changes the weights (on the learner's thread): how published
     * weights that samplers copy straight from the learner are fenced.
     */
    public void beforeUpdates(Runnable hook) {
        this.beforeUpdate = hook;
    }

    public CausalLm policy() {
        return policy;
    }

    public GrpoConfig config() {
        return config;
    }

    /** Optimizer updates applied so far. */
    public long updates() {
        return updates;
    }

    public long skippedUpdates() {
        return skippedUpdates;
    }

    public State exportState() {
        return new State(updates, skippedUpdates, consecutiveNonFinite, optimizer.exportState());
    }

    /**
     * The state as views of the optimizer's memory (nothing copied), for a checkpoint written on the learner's
     * thread before its next step.
     */
    public State checkpointState() {
        return new State(updates, skippedUpdates, consecutiveNonFinite, optimizer.view());
    }

    public void importState(State s) {
        optimizer.importState(s.optimizer(), policy.trainableParameters());
        updates = s.updates();
        skippedUpdates = s.skippedUpdates();
        consecutiveNonFinite = s.consecutiveNonFinite();
    }

    /**
     * One GRPO step on B groups of exactly G samples each, read top to bottom: the advantages of each group, the
     * reference log-probs, then {@code num_iterations} passes of micro-batched forward, loss and backward, each
     * closed by a clip and an AdamW update (or a skipped update when the loss or the gradient is not finite).
     */
    public StepResult step(List<List<TrainingSample>> groups) {
        Batch batch = new Batch(groups, true);
        return train(batch, Advantages.compute(batch.rewards(), config.scale(), config.ngrpo()));
    }

    /**
     * One step on rows whose advantages the caller computed (multi-turn episodes: one row per policy turn, the
     * turn's context as prompt and its tokens as completion, so environment tokens are never in the loss). Groups
     * may have any number of rows; everything else is as {@link #step(List)}.
     *
     * @param advantages one per row, group by group in input order
     */
    public StepResult step(List<List<TrainingSample>> groups, double[][] advantages) {
        Batch batch = new Batch(groups, false);
        int zeroGroups = 0;
        int missing = 0;
        for (int g = 0; g < groups.size(); g++) {
            if (advantages[g].length != groups.get(g).size()) {
                throw new IllegalArgumentException("group " + g + " has " + groups.get(g).size() + " rows but "
                        + advantages[g].length + " advantages");
            }
            zeroGroups += Arrays.stream(advantages[g]).allMatch(a -> a == 0) ? 1 : 0;
            missing += (int) groups.get(g).stream().filter(s -> !s.scored()).count();
        }
        return train(batch, new Advantages.Result(advantages, zeroGroups, missing));
    }

    private StepResult train(Batch batch, Advantages.Result advantages) {
        long t0 = System.nanoTime();
        if (config.passes().trainForced()) {
            batch.recomputeForced();
        }
        double[] rowAdvantages = advantages.advantages();                                // [B]
        float[][] ref = reference == null ? null : TokenLogprobs.evaluate(reference, batch.prompts,
                batch.completions, padId, config.passes().temperature(), config.passes().microBatchTokens());
        List<int[]> microBatches = TokenLogprobs.microBatches(batch.prompts, batch.completions,
                config.passes().microBatchTokens());
        float[][] firstPassLogprobs = new float[batch.rows()][];
        Diagnostics diagnostics = new Diagnostics();
        double lossSum = 0;
        double gradNorm = Double.NaN;
        double lr = Double.NaN;
        boolean updated = false;
        for (int pass = 0; pass < config.passes().numIterations(); pass++) {
            boolean firstPass = pass == 0;
            // the ratio against the behaviour log-probs, then (μ > 1) the first pass's (TRL: old_per_token_logps)
            float[][] old = firstPass ? batch.behaviour : firstPassLogprobs;
            double loss = 0;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                for (int[] rows : microBatches) {
                    MicroBatch m = microBatch(batch, rows, rowAdvantages, old, ref, collector, firstPass);
                    loss += m.loss();
                    if (firstPass) {
                        diagnostics.add(m.diagnostics());
                        System.arraycopy(m.logprobs(), 0, firstPassLogprobs, rows[0], m.logprobs().length);
                    }
                }
            }
            gradNorm = GradientClipping.clip(policy.trainableParameters().values(), config.optim().maxGradNorm());
            lossSum += loss;
            lr = config.optim().schedule().at(updates);
            updated = update(loss, gradNorm, lr);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        batch.putMetrics(m, advantages);
        m.put("loss", lossSum / config.passes().numIterations());
        diagnostics.putMetrics(m, config.loss().beta() > 0);
        m.put("grad_norm", gradNorm);
        m.put("lr", lr);
        m.put("updates", (double) updates);
        m.put("skipped_updates", (double) skippedUpdates);
        m.put("step_seconds", (System.nanoTime() - t0) / 1e9);
        return new StepResult(updated, m, rowAdvantages);
    }

    /**
     * AdamW on the accumulated gradients, then (every {@code ref-sync-every} updates) the reference moves towards the
     * policy; or, when the loss or the gradient norm is not finite, a skipped update that leaves weights and
     * optimizer state untouched (training halts after {@code max-non-finite} in a row). Returns whether it updated.
     */
    private boolean update(double loss, double gradNorm, double lr) {
        if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
            AdamW.zeroGradients(policy.trainableParameters());
            skippedUpdates++;
            if (++consecutiveNonFinite >= config.maxNonFinite()) {
                throw new TrainingHaltedException(consecutiveNonFinite + " consecutive updates had a non-finite "
                        + (Double.isFinite(loss) ? "gradient norm (" + gradNorm + ")" : "loss (" + loss + ")")
                        + "; stopping (grpo.max-non-finite = " + config.maxNonFinite() + "). Lower optim.lr, "
                        + "check rewards for extreme values, or enable optim.max-grad-norm.");
            }
            return false;
        }
        beforeUpdate.run();
        optimizer.step(policy.trainableParameters(), lr);
        AdamW.zeroGradients(policy.trainableParameters());
        consecutiveNonFinite = 0;
        updates++;
        if (reference != null && config.referenceSync().every() > 0 && updates % config.referenceSync().every() == 0) {
            reference.blendFrom(policy, config.referenceSync().alpha());
        }
        return true;
    }

    /**
     * What one micro-batch gives back, as plain numbers (its tensors are closed when it returns).
     *
     * @param loss its share of the loss
     * @param logprobs (first pass only) each row's current log-probs
     * @param diagnostics (first pass only) its token-level sums
     */
    private record MicroBatch(double loss, float[][] logprobs, double[] diagnostics) {
    }

    /**
     * Forward, loss and backward of rows [from, to) of the batch.
     *
     * @param old the log-probs the ratio is taken against
     * @param firstPass also return the rows' log-probs and the diagnostics (entropy, clipping, KL)
     */
    private MicroBatch microBatch(Batch batch, int[] rows, double[] advantages, float[][] old, float[][] ref,
                                  GradientCollector collector, boolean firstPass) {
        int from = rows[0];
        int to = rows[1];
        TokenLogprobs.Packed packed = TokenLogprobs.pack(batch.prompts.subList(from, to),
                batch.completions.subList(from, to), padId);
        int b = packed.rows();
        int c = packed.completionWidth();
        try (NDScope ignored = new NDScope()) {
            NDManager mgr = policy.manager();
            NDList arrays = packed.toArrays(mgr);
            boolean bonus = config.loss().entropyCoef() != 0; // the loss differentiates the entropies too
            LogprobGraph.Entropy entropy = bonus ? LogprobGraph.Entropy.GRADIENT
                    : firstPass ? LogprobGraph.Entropy.VALUE : LogprobGraph.Entropy.NONE;
            LogprobGraph graph = LogprobGraph.forward(policy, arrays.get(0), arrays.get(1), packed.promptWidth(),
                    arrays.get(2), config.passes().temperature(), entropy);
            NDArray cur = toFloat64(graph.logprobs());                                      // [b, C]
            NDArray entropies = bonus ? toFloat64(graph.entropy()) : null;                  // [b, C]
            NDArray oldArray = mgr.create(padded(old, from, b, c), new Shape(b, c));         // [b, C]
            NDArray refArray = ref == null ? null : mgr.create(padded(ref, from, b, c), new Shape(b, c));
            NDArray starts = mgr.create(Arrays.copyOfRange(batch.lossStarts, from, to));    // [b]
            NDArray lengths = mgr.create(Arrays.copyOfRange(batch.lossLengths, from, to));  // [b]
            NDArray positions = mgr.arange(c).expandDims(0);                                // [1, C]
            NDArray mask = positions.gte(starts.expandDims(1))                              // [b, C]
                    .logicalAnd(positions.lt(lengths.expandDims(1))).toType(DataType.FLOAT64, false);
            NDArray adv = mgr.create(Arrays.copyOfRange(advantages, from, to));              // [b]
            GrpoLoss.Output loss = GrpoLoss.compute(cur, oldArray, refArray, entropies, mask, adv, config.loss(),
                    new GrpoLoss.Normaliser(batch.rows(), batch.tokensInLoss));
            collector.backward(loss.loss());
            graph.backward(); // on through the LM head in chunks and the decoder (recomputed when configured)
            if (!firstPass) {
                return new MicroBatch(loss.loss().getDouble(), null, null);
            }
            float[] lp = graph.logprobs().toFloatArray();
            float[][] logprobs = new float[b][];
            for (int r = 0; r < b; r++) {
                logprobs[r] = Arrays.copyOfRange(lp, r * c, r * c + batch.completions.get(from + r).length);
            }
            NDArray entropyValues = graph.entropy().stopGradient().toType(DataType.FLOAT64, false); // [b, C]
            double[] diagnostics = Diagnostics.of(loss, entropyValues.mul(mask), mask);
            return new MicroBatch(loss.loss().getDouble(), logprobs, diagnostics);
        }
    }

    /**
     * Widens to float64 keeping the autograd graph: DJL's {@code toType} detaches, so the cast is done by type
     * promotion (adding a float64 zero of shape [1]; a 0-d tensor would not promote).
     */
    static NDArray toFloat64(NDArray x) {
        return x.add(x.getManager().zeros(new Shape(1), DataType.FLOAT64));
    }

    /** Rows of per-token values, right-padded with zeros to width c. */
    private static double[] padded(float[][] rows, int from, int b, int c) {
        double[] out = new double[b * c];
        for (int r = 0; r < b; r++) {
            float[] row = rows[from + r];
            for (int j = 0; j < row.length; j++) {
                out[r * c + j] = row[j];
            }
        }
        return out;
    }

    @Override
    public void close() {
        optimizer.close();
    }

    /** The batch as rows, group by group: one row per sample. */
    private final class Batch {
        final List<List<TrainingSample>> groups;
        final List<TrainingSample> samples = new ArrayList<>();
        final List<int[]> prompts = new ArrayList<>();
        final List<int[]> completions = new ArrayList<>();
        final float[][] behaviour;
        /** Each row's first token in the loss: 0, or after its forced tokens when they are not trained on. */
        final int[] lossStarts;
        /** Each row's end of the loss: its completion's length, or 0 when it is left out. */
        final int[] lossLengths;
        final long tokensInLoss;

        /** @param exactGroups every group must have exactly G samples (false: rows of episodes, any number) */
        Batch(List<List<TrainingSample>> groups, boolean exactGroups) {
            if (groups.isEmpty()) {
                throw new IllegalArgumentException("a step needs at least one group");
            }
            for (List<TrainingSample> g : groups) {
                if (exactGroups && g.size() != config.groupSize()) {
                    throw new IllegalArgumentException("group of prompt " + (g.isEmpty() ? "?" : g.get(0).promptKey())
                            + " has " + g.size() + " samples; grpo.group-size is " + config.groupSize());
                }
                samples.addAll(g);
            }
            if (samples.isEmpty()) {
                throw new IllegalArgumentException("a step needs at least one row");
            }
            this.groups = groups;
            int n = samples.size();
            behaviour = new float[n][];
            lossStarts = new int[n];
            lossLengths = new int[n];
            long tokens = 0;
            for (int i = 0; i < n; i++) {
                TrainingSample s = samples.get(i);
                boolean empty = s.completionTokens().length == 0;
                prompts.add(s.promptTokens());
                completions.add(empty ? new int[] {padId} : s.completionTokens());
                behaviour[i] = empty ? new float[1] : s.behaviourLogprobs().clone();
                // a forced token's behaviour value is NaN: 0 until recomputed, and out of the loss unless trained
                Arrays.fill(behaviour[i], 0, s.forced(), 0f);
                boolean inLoss = !empty && !(config.passes().maskTruncated() && s.truncated());
                lossLengths[i] = inLoss ? s.completionTokens().length : 0;
                lossStarts[i] = inLoss && !config.passes().trainForced() ? s.forced() : 0;
                tokens += lossLengths[i] - lossStarts[i];
            }
            tokensInLoss = tokens;
        }

        /** The current policy's log-probabilities (no gradient) in place of the forced tokens' behaviour values. */
        void recomputeForced() {
            List<Integer> rows = new ArrayList<>();
            for (int i = 0; i < samples.size(); i++) {
                if (samples.get(i).forced() > 0) {
                    rows.add(i);
                }
            }
            if (rows.isEmpty()) {
                return;
            }
            float[][] current = TokenLogprobs.evaluate(policy, rows.stream().map(prompts::get).toList(),
                    rows.stream().map(completions::get).toList(), padId, config.passes().temperature(),
                    config.passes().microBatchTokens());
            for (int j = 0; j < rows.size(); j++) {
                int i = rows.get(j);
                System.arraycopy(current[j], 0, behaviour[i], 0, samples.get(i).forced());
            }
        }

        int rows() {
            return samples.size();
        }

        /** Each group's rewards (null where missing). */
        List<Double[]> rewards() {
            List<Double[]> out = new ArrayList<>(groups.size());
            for (List<TrainingSample> g : groups) {
                out.add(g.stream().map(s -> s.scored() ? s.reward() : null).toArray(Double[]::new));
            }
            return out;
        }

        void putMetrics(Map<String, Double> m, Advantages.Result adv) {
            double[] advantages = adv.advantages();
            Stats reward = new Stats();
            Map<String, Stats> components = new LinkedHashMap<>();
            Stats length = new Stats();
            Stats advantage = new Stats();
            Stats guided = new Stats();
            Stats unguided = new Stats();
            int truncated = 0;
            for (int i = 0; i < samples.size(); i++) {
                TrainingSample s = samples.get(i);
                if (s.scored()) {
                    reward.add(s.reward());
                    (s.forced() > 0 ? guided : unguided).add(s.reward());
                }
                for (String k : new TreeSet<>(s.rewardComponents().keySet())) {
                    components.computeIfAbsent(k, x -> new Stats()).add(s.rewardComponents().get(k));
                }
                length.add(s.completionTokens().length);
                advantage.add(advantages[i]);
                truncated += s.truncated() ? 1 : 0;
            }
            m.put("reward_mean", reward.mean());
            m.put("reward_std", reward.std());
            components.forEach((k, st) -> {
                m.put("reward/" + k + "/mean", st.mean());
                m.put("reward/" + k + "/std", st.std());
            });
            m.put("reward_missing", (double) adv.missing());
            if (samples.stream().anyMatch(s -> s.forced() > 0)) {
                m.put("guided_fraction", samples.stream().filter(s -> s.forced() > 0).count()
                        / (double) samples.size());
                m.put("reward_guided_mean", guided.mean());
                m.put("reward_unguided_mean", unguided.mean());
            }
            m.put("advantage_mean", advantage.mean());
            m.put("advantage_std", advantage.std());
            m.put("zero_std_fraction", adv.zeroStdFraction());
            m.put("completion_length_mean", length.mean());
            m.put("completion_length_min", length.min);
            m.put("completion_length_max", length.max);
            m.put("truncated_fraction", (double) truncated / samples.size());
            m.put("groups", (double) groups.size());
            m.put("samples", (double) samples.size());
            m.put("tokens", (double) tokensInLoss);
        }
    }

    /** Token-level diagnostics of the first pass, summed over micro-batches. */
    private static final class Diagnostics {
        double tokens;
        double lowClipped;
        double highClipped;
        double kl;
        double entropy;

        /** One micro-batch's sums: tokens, low-clipped, high-clipped, KL, entropy. */
        static double[] of(GrpoLoss.Output out, NDArray maskedEntropy, NDArray mask) {
            return new double[] {mask.sum().getDouble(), out.lowClipped().sum().getDouble(),
                    out.highClipped().sum().getDouble(), out.kl().sum().getDouble(), maskedEntropy.sum().getDouble()};
        }

        void add(double[] sums) {
            tokens += sums[0];
            lowClipped += sums[1];
            highClipped += sums[2];
            kl += sums[3];
            entropy += sums[4];
        }

        void putMetrics(Map<String, Double> m, boolean withKl) {
            double n = Math.max(1, tokens);
            if (withKl) {
                m.put("kl", kl / n);
            }
            m.put("clip_low", lowClipped / n);
            m.put("clip_high", highClipped / n);
            m.put("clip_region", (lowClipped + highClipped) / n);
            m.put("entropy", entropy / n);
        }
    }

    /** Running mean, unbiased std, min and max. */
    private static final class Stats {
        double sum;
        double sumSq;
        int n;
        double min = Double.NaN;
        double max = Double.NaN;

        void add(double x) {
            sum += x;
            sumSq += x * x;
            n++;
            min = n == 1 ? x : Math.min(min, x);
            max = n == 1 ? x : Math.max(max, x);
        }

        double mean() {
            return n == 0 ? Double.NaN : sum / n;
        }

        double std() {
            if (n < 2) {
                return 0;
            }
            double mean = sum / n;
            return Math.sqrt(Math.max(0, (sumSq - n * mean * mean) / (n - 1)));
        }
    }

    /** Trained parameters in update order (for tests): the adapters' with LoRA, else every weight. */
    Map<String, Parameter> parameters() {
        return policy.trainableParameters();
    }
}
