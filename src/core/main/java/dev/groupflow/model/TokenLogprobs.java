package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Log-probabilities of given completion tokens under a model: what the learner differentiates, and what the
 * reference model and the μ > 1 passes evaluate without gradients.
 *
 * <p>Layout of a packed batch: each row is its prompt, left-padded to the batch's widest prompt P, followed by
 * its completion, right-padded to the widest completion C. The logits at positions P−1 … P+C−2 predict the
 * completion tokens; only those C positions go through the LM head, so a batch materialises [B, C, V] logits,
 * never [B, P+C, V]. Callers bound B·C with micro-batches ({@link #microBatches}).
 */
public final class TokenLogprobs {
    private TokenLogprobs() {
    }

    /**
     * A batch of (prompt, completion) rows packed for the model.
     *
     * @param rows B
     * @param promptWidth P
     * @param completionWidth C
     * @param ids [B, P+C] token ids (padding = pad id)
     * @param mask [B, P+C] 1 for real tokens
     * @param completionIds [B, C] the completion tokens (padding = pad id)
     * @param completionMask [B, C] 1 for real completion tokens
     */
    public record Packed(int rows, int promptWidth, int completionWidth, long[] ids, float[] mask,
                         long[] completionIds, float[] completionMask) {

        /** Number of real completion tokens. */
        public int completionTokens() {
            int n = 0;
            for (float m : completionMask) {
                n += (int) m;
            }
            return n;
        }

        public NDList toArrays(NDManager manager) {
            int width = promptWidth + completionWidth;
            return new NDList(
                    manager.create(ids, new Shape(rows, width)),
                    manager.create(mask, new Shape(rows, width)),
                    manager.create(completionIds, new Shape(rows, completionWidth)),
                    manager.create(completionMask, new Shape(rows, completionWidth)));
        }
    }

    /** Packs rows (prompts and completions index-aligned; every completion must have at least one token). */
    public static Packed pack(List<int[]> prompts, List<int[]> completions, int padId) {
        int b = prompts.size();
        int p = prompts.stream().mapToInt(a -> a.length).max().orElse(0);
        int c = completions.stream().mapToInt(a -> a.length).max().orElse(0);
        long[] ids = new long[b * (p + c)];
        float[] mask = new float[b * (p + c)];
        long[] cids = new long[b * c];
        float[] cmask = new float[b * c];
        Arrays.fill(ids, padId);
        Arrays.fill(cids, padId);
        for (int r = 0; r < b; r++) {
            int[] prompt = prompts.get(r);
            int[] completion = completions.get(r);
            if (prompt.length == 0 || completion.length == 0) {
                throw new IllegalArgumentException("row " + r + ": prompt and completion need at least one token");
            }
            int base = r * (p + c);
            int pad = p - prompt.length;
            for (int j = 0; j < prompt.length; j++) {
                ids[base + pad + j] = prompt[j];
                mask[base + pad + j] = 1f;
            }
            for (int j = 0; j < completion.length; j++) {
                ids[base + p + j] = completion[j];
                mask[base + p + j] = 1f;
                cids[r * c + j] = completion[j];
                cmask[r * c + j] = 1f;
            }
        }
        return new Packed(b, p, c, ids, mask, cids, cmask);
    }

    /**
     * Per-token log-probabilities (and optionally entropies) of the completion tokens, differentiable when grad
     * mode is on. Without grad mode the LM head and log-softmax run over at most
     * {@link TrainingMemory#rowsPerChunk} positions at a time (the model's {@link CausalLm#trainingMemory}), so no
     * more than one chunk of logits exists at once; with grad mode the whole [B, C, V] is built (see
     * {@link LogprobGraph} for the learner's chunked path).
     *
     * @param ids [B, P+C] int64
     * @param mask [B, P+C] float32
     * @param promptWidth P
     * @param completionIds [B, C] int64
     * @param temperature logits are divided by it (the sampler's temperature; 1 = none; 0 is treated as 1)
     * @param withEntropy also return the entropy of each predicted distribution
     * @return {logprobs [B, C]} or {logprobs [B, C], entropy [B, C]}
     */
    public static NDList compute(CausalLm model, NDArray ids, NDArray mask, int promptWidth, NDArray completionIds,
                                 double temperature, boolean withEntropy) {
        return compute(model, ids, mask, promptWidth, completionIds, temperature, withEntropy, false);
    }

    /**
     * {@link #compute}, with the entropies in the autograd graph too when {@code entropyGradient} (grad mode on: the
     * learner's entropy bonus, {@code grpo.entropy-coef}).
     */
    static NDList compute(CausalLm model, NDArray ids, NDArray mask, int promptWidth, NDArray completionIds,
                          double temperature, boolean withEntropy, boolean entropyGradient) {
        int width = (int) ids.getShape().get(1);
        int b = (int) completionIds.getShape().get(0);
        int c = (int) completionIds.getShape().get(1);
        NDArray hidden = model.hidden(ids, Masks.positions(mask), Masks.causalBias(mask, width), null); // [B, P+C, E]
        NDArray predicting = hidden.get(":, {}:{}, :", promptWidth - 1, promptWidth - 1 + c);            // [B, C, E]
        int chunk = model.trainingMemory().rowsPerChunk(model.config().vocabSize());
        if (JniUtils.isGradMode() || (long) b * c <= chunk) {
            return head(model, predicting, completionIds, temperature, withEntropy, entropyGradient);
        }
        long e = predicting.getShape().get(2);
        NDList flat = headChunked(model, predicting.reshape(-1, e), completionIds.reshape(-1), temperature,
                withEntropy, chunk);
        NDList out = new NDList();
        for (NDArray a : flat) {
            out.add(a.reshape(b, c));
        }
        return out;
    }

    /**
     * Log-probabilities of {@code ids} (and entropies) through the LM head and log-softmax.
     *
     * @param hidden [..., E] final hidden states
     * @param ids [...] int64 the tokens they predict
     * @return {logprobs [...]} or {logprobs [...], entropy [...]}
     */
    static NDList head(CausalLm model, NDArray hidden, NDArray ids, double temperature, boolean withEntropy) {
        return head(model, hidden, ids, temperature, withEntropy, false);
    }

    /**
     * {@link #head}; with {@code entropyGradient} the entropy H = −Σ_v p_v log p_v keeps its autograd graph over
     * [..., V] (dH/dlogits_v = −p_v (log p_v + H)), otherwise it is a detached diagnostic.
     */
    static NDList head(CausalLm model, NDArray hidden, NDArray ids, double temperature, boolean withEntropy,
                       boolean entropyGradient) {
        int last = hidden.getShape().dimension() - 1;
        NDArray logits = model.logits(hidden);                                             // [..., V]
        if (temperature > 0 && temperature != 1.0) {
            logits = Scalars.div(logits, (float) temperature);
        }
        NDArray logp = logits.logSoftmax(-1);                                              // [..., V]
        NDArray tokenLogp = logp.gather(ids.expandDims(last), last).squeeze(last);         // [...]
        if (!withEntropy) {
            return new NDList(tokenLogp);
        }
        // a diagnostic has no autograd graph over [..., V]; the entropy bonus differentiates it
        NDArray plain = entropyGradient ? logp : logp.stopGradient();
        NDArray entropy = plain.exp().mul(plain).sum(new int[] {last}).neg();              // [...]
        return new NDList(tokenLogp, entropy);
    }

    /**
     * {@link #head} over rows in chunks of at most {@code rows}, without gradients: each chunk's logits are freed
     * before the next is computed.
     *
     * @param hidden [N, E]
     * @param ids [N] int64
     * @return {logprobs [N]} or {logprobs [N], entropy [N]}, registered in the caller's scope
     */
    static NDList headChunked(CausalLm model, NDArray hidden, NDArray ids, double temperature, boolean withEntropy,
                              int rows) {
        long n = hidden.getShape().get(0);
        NDList logps = new NDList();
        NDList entropies = new NDList();
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (long from = 0; from < n; from += rows) {
                long to = Math.min(n, from + rows);
                try (NDScope ignored = new NDScope()) {
                    NDList part = head(model, hidden.get("{}:{}", from, to), ids.get("{}:{}", from, to), temperature,
                            withEntropy);
                    NDScope.unregister(part);
                    logps.add(part.get(0));
                    if (withEntropy) {
                        entropies.add(part.get(1));
                    }
                }
            }
            NDList out = new NDList(NDArrays.concat(logps));
            if (withEntropy) {
                out.add(NDArrays.concat(entropies));
            }
            return out;
        } finally {
            logps.close();
            entropies.close();
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * Splits rows into consecutive micro-batches whose padded size (rows × (widest prompt + widest completion))
     * stays within {@code tokenBudget}; a single row larger than the budget is a micro-batch of its own.
     *
     * @return for each micro-batch, the [from, to) row range
     */
    public static List<int[]> microBatches(List<int[]> prompts, List<int[]> completions, int tokenBudget) {
        List<int[]> out = new ArrayList<>();
        int from = 0;
        int p = 0;
        int c = 0;
        for (int r = 0; r < prompts.size(); r++) {
            int np = Math.max(p, prompts.get(r).length);
            int nc = Math.max(c, completions.get(r).length);
            if (r > from && (long) (r - from + 1) * (np + nc) > tokenBudget) {
                out.add(new int[] {from, r});
                from = r;
                np = prompts.get(r).length;
                nc = completions.get(r).length;
            }
            p = np;
            c = nc;
        }
        if (from < prompts.size()) {
            out.add(new int[] {from, prompts.size()});
        }
        return out;
    }

    /**
     * Log-probabilities without gradients, micro-batched by {@code tokenBudget}; row r of the result has the
     * length of completion r.
     */
    public static float[][] evaluate(CausalLm model, List<int[]> prompts, List<int[]> completions, int padId,
                                     double temperature, int tokenBudget) {
        float[][] out = new float[prompts.size()][];
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (int[] range : microBatches(prompts, completions, tokenBudget)) {
                Packed packed = pack(prompts.subList(range[0], range[1]), completions.subList(range[0], range[1]),
                        padId);
                try (NDScope ignored = new NDScope()) {
                    NDList a = packed.toArrays(model.manager());
                    float[] lp = compute(model, a.get(0), a.get(1), packed.promptWidth(), a.get(2), temperature,
                            false).singletonOrThrow().toFloatArray();
                    for (int r = 0; r < packed.rows(); r++) {
                        int len = completions.get(range[0] + r).length;
                        out[range[0] + r] = Arrays.copyOfRange(lp, r * packed.completionWidth(),
                                r * packed.completionWidth() + len);
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        return out;
    }
}
