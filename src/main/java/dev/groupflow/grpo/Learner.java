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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The GRPO update, as a plain Java API: give it B groups of G scored completions, it takes
 * {@code num_iterations} optimizer steps on them and returns the step's metrics.
 *
 * <p>One call, top to bottom: advantages per group → (beta &gt; 0) reference log-probs → for each pass: for each
 * micro-batch of at most {@code micro_batch_tokens} padded tokens, current log-probs → loss with whole-batch
 * normalisers → backward (gradients accumulate) → global-norm clip → AdamW, or a skipped update when the loss
 * or the gradient is not finite. In passes after the first the ratio is taken against the first pass's
 * log-probs; in the first, against the behaviour log-probs the sampler recorded.
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
        if ((config.beta() > 0) != (reference != null)) {
            throw new IllegalArgumentException(config.beta() > 0
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
        this.optimizer = new AdamW(policy.manager(), config.beta1(), config.beta2(), config.adamEps(),
                config.weightDecay());
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

    /** One GRPO step on B groups of exactly G samples each. */
    public StepResult step(List<List<TrainingSample>> groups) {
        long t0 = System.nanoTime();
        Batch batch = new Batch(groups);
        float[][] ref = reference == null ? null : TokenLogprobs.evaluate(reference, batch.prompts,
                batch.completions, padId, config.temperature(), config.microBatchTokens());
        List<int[]> ranges = TokenLogprobs.microBatches(batch.prompts, batch.completions, config.microBatchTokens());
        float[][] firstPass = config.numIterations() > 1 ? new float[batch.rows()][] : null;
        Map<String, Double> m = new LinkedHashMap<>();
        Diagnostics diag = new Diagnostics();
        double lossSum = 0;
        double gradNorm = Double.NaN;
        double lr = Double.NaN;
        boolean updated = false;
        for (int pass = 0; pass < config.numIterations(); pass++) {
            double loss = 0;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                for (int[] range : ranges) {
                    loss += microBatch(batch, range, pass == 0 ? null : firstPass, firstPass, ref, collector,
                            pass == 0 ? diag : null);
                }
            }
            gradNorm = GradientClipping.clip(policy.trainableParameters().values(), config.maxGradNorm());
            lossSum += loss;
            lr = config.schedule().at(updates);
            if (!Double.isFinite(loss) || !Double.isFinite(gradNorm)) {
                AdamW.zeroGradients(policy.trainableParameters());
                skippedUpdates++;
                if (++consecutiveNonFinite >= config.maxNonFinite()) {
                    throw new TrainingHaltedException(consecutiveNonFinite + " consecutive updates had a non-finite "
                            + (Double.isFinite(loss) ? "gradient norm (" + gradNorm + ")" : "loss (" + loss + ")")
                            + "; stopping (grpo.max-non-finite = " + config.maxNonFinite() + "). Lower optim.lr, "
                            + "check rewards for extreme values, or enable optim.max-grad-norm.");
                }
                updated = false;
                continue;
            }
            beforeUpdate.run();
            optimizer.step(policy.trainableParameters(), lr);
            AdamW.zeroGradients(policy.trainableParameters());
            consecutiveNonFinite = 0;
            updates++;
            updated = true;
            if (reference != null && config.refSyncEvery() > 0 && updates % config.refSyncEvery() == 0) {
                reference.blendFrom(policy, config.refSyncAlpha());
            }
        }
        batch.putMetrics(m);
        m.put("loss", lossSum / config.numIterations());
        diag.putMetrics(m, config.beta() > 0);
        m.put("grad_norm", gradNorm);
        m.put("lr", lr);
        m.put("updates", (double) updates);
        m.put("skipped_updates", (double) skippedUpdates);
        m.put("step_seconds", (System.nanoTime() - t0) / 1e9);
        return new StepResult(updated, m, batch.advantages.clone());
    }

    /** Forward, loss and backward of one micro-batch; returns its share of the loss. */
    private double microBatch(Batch batch, int[] range, float[][] oldOverride, float[][] firstPass, float[][] ref,
                              GradientCollector collector, Diagnostics diag) {
        int from = range[0];
        int to = range[1];
        TokenLogprobs.Packed packed = TokenLogprobs.pack(batch.prompts.subList(from, to),
                batch.completions.subList(from, to), padId);
        int b = packed.rows();
        int c = packed.completionWidth();
        try (NDScope ignored = new NDScope()) {
            NDManager mgr = policy.manager();
            NDList arrays = packed.toArrays(mgr);
            LogprobGraph graph = LogprobGraph.forward(policy, arrays.get(0), arrays.get(1), packed.promptWidth(),
                    arrays.get(2), config.temperature(), diag != null);
            NDArray cur = toFloat64(graph.logprobs());                                      // [b, C]
            NDArray old = mgr.create(padded(oldOverride != null ? oldOverride : batch.behaviour, from, b, c),
                    new Shape(b, c));
            NDArray refArray = ref == null ? null : mgr.create(padded(ref, from, b, c), new Shape(b, c));
            double[] mask = new double[b * c];
            double[] adv = new double[b];
            for (int r = 0; r < b; r++) {
                adv[r] = batch.advantages[from + r];
                if (batch.inLoss[from + r]) {
                    for (int j = 0; j < batch.completions.get(from + r).length; j++) {
                        mask[r * c + j] = 1;
                    }
                }
            }
            NDArray maskArray = mgr.create(mask, new Shape(b, c));
            GrpoLoss.Output loss = GrpoLoss.compute(cur, old, refArray, maskArray, mgr.create(adv), config.lossSettings(),
                    new GrpoLoss.Normaliser(batch.rows(), batch.tokensInLoss));
            collector.backward(loss.loss());
            graph.backward(); // on through the LM head in chunks and the decoder (recomputed when configured)
            if (firstPass != null && oldOverride == null) {
                float[] lp = graph.logprobs().toFloatArray();
                for (int r = 0; r < b; r++) {
                    firstPass[from + r] = java.util.Arrays.copyOfRange(lp, r * c,
                            r * c + batch.completions.get(from + r).length);
                }
            }
            if (diag != null) {
                diag.add(loss, graph.entropy().toType(DataType.FLOAT64, false).mul(maskArray), maskArray);
            }
            return loss.loss().getDouble();
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

    /** The flattened batch: one row per sample, group by group. */
    private final class Batch {
        final List<TrainingSample> samples = new ArrayList<>();
        final List<int[]> prompts = new ArrayList<>();
        final List<int[]> completions = new ArrayList<>();
        final float[][] behaviour;
        final boolean[] inLoss;
        final double[] advantages;
        final Advantages.Result adv;
        final long tokensInLoss;

        Batch(List<List<TrainingSample>> groups) {
            if (groups.isEmpty()) {
                throw new IllegalArgumentException("a step needs at least one group");
            }
            for (List<TrainingSample> g : groups) {
                if (g.size() != config.groupSize()) {
                    throw new IllegalArgumentException("group of prompt " + (g.isEmpty() ? "?" : g.get(0).promptKey())
                            + " has " + g.size() + " samples; grpo.group-size is " + config.groupSize());
                }
                samples.addAll(g);
            }
            int n = samples.size();
            behaviour = new float[n][];
            inLoss = new boolean[n];
            Double[] rewards = new Double[n];
            long tokens = 0;
            for (int i = 0; i < n; i++) {
                TrainingSample s = samples.get(i);
                boolean empty = s.completionTokens().length == 0;
                prompts.add(s.promptTokens());
                completions.add(empty ? new int[] {padId} : s.completionTokens());
                behaviour[i] = empty ? new float[1] : s.behaviourLogprobs();
                inLoss[i] = !empty && !(config.maskTruncated() && s.truncated());
                tokens += inLoss[i] ? s.completionTokens().length : 0;
                rewards[i] = s.scored() ? s.reward() : null;
            }
            tokensInLoss = tokens;
            adv = Advantages.compute(rewards, config.groupSize(), config.scale());
            advantages = adv.advantages();
        }

        int rows() {
            return samples.size();
        }

        void putMetrics(Map<String, Double> m) {
            Stats reward = new Stats();
            Map<String, Stats> components = new LinkedHashMap<>();
            Stats length = new Stats();
            Stats advantage = new Stats();
            int truncated = 0;
            for (int i = 0; i < samples.size(); i++) {
                TrainingSample s = samples.get(i);
                if (s.scored()) {
                    reward.add(s.reward());
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
            m.put("advantage_mean", advantage.mean());
            m.put("advantage_std", advantage.std());
            m.put("zero_std_fraction", adv.zeroStdFraction());
            m.put("completion_length_mean", length.mean());
            m.put("completion_length_min", length.min);
            m.put("completion_length_max", length.max);
            m.put("truncated_fraction", (double) truncated / samples.size());
            m.put("groups", (double) (samples.size() / config.groupSize()));
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

        void add(GrpoLoss.Output out, NDArray maskedEntropy, NDArray mask) {
            tokens += mask.sum().getDouble();
            lowClipped += out.lowClipped().sum().getDouble();
            highClipped += out.highClipped().sum().getDouble();
            kl += out.kl().sum().getDouble();
            entropy += maskedEntropy.sum().getDouble();
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
