package dev.groupflow.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.KvCache;
import dev.groupflow.model.Masks;
import dev.groupflow.model.ModelConfig;
import dev.groupflow.model.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One policy turn for many multi-turn episodes at once, each continuing its own KV cache.
 *
 * <p>An episode's context grows turn by turn: prompt, policy turn, environment answer, policy turn... A request
 * gives the episode's whole context now and the {@link CachedContext} its previous turn left. Only the tokens
 * beyond the longest prefix the context shares with the cache are computed (normally the previous turn's last token
 * and the environment's answer); when the context does not start with all the cached tokens (a chat template that
 * re-renders earlier turns differently), everything after the shared prefix is computed again and the turn says so
 * ({@link Turn#diverged()}, counted in {@link #stats()}).
 *
 * <p>The working cache of n episodes holds, per row: the reused prefix right-aligned in the first C columns, the new
 * tokens right-aligned in the next T, then the decoded tokens. The padding between parts is masked and position ids
 * are each episode's own, so an episode's tokens attend to exactly what they would alone; which episodes share a
 * call changes only float rounding. A turn's randomness is the episode's: the uniform number of its k-th policy
 * token (counted over all its turns) is {@link SampleRng#uniform}(seed, step, episodeKey, sampleIndex, k).
 *
 * <p>Episodes that end their turn early leave the batch (as in {@link Sampler}); episodes waiting for their
 * environment are simply not in the call, so a caller batches whichever episodes are ready and none waits for
 * another's environment. Each finished turn's cache is copied out at once (one copy per turn, not per token).
 * Grad mode is off for the call; every temporary of a step is closed with the step.
 */
public final class TurnSampler {
    private final CausalLm model;
    private final TextTokenizer tokenizer;
    private final Set<Integer> eosIds;
    private final AtomicLong turns = new AtomicLong();
    private final AtomicLong reusedTokens = new AtomicLong();
    private final AtomicLong computedTokens = new AtomicLong();
    private final AtomicLong divergedTurns = new AtomicLong();

    /**
     * One episode's next turn.
     *
     * @param episodeKey the episode's stable id (it seeds sampling)
     * @param sampleIndex which of its group's episodes (it seeds sampling)
     * @param context every token of the episode so far, as the policy must see it now
     * @param policyTokensBefore how many policy tokens the episode's earlier turns produced (the randomness of this
     *     turn's tokens continues from there)
     * @param maxNewTokens the most tokens this turn may have (at most the call's {@link SamplingParams#maxNewTokens})
     * @param cache what the previous turn left, or null; the sampler takes ownership and closes it
     */
    public record Request(long episodeKey, int sampleIndex, int[] context, int policyTokensBefore, int maxNewTokens,
                          CachedContext cache) {
        public Request {
            if (context.length == 0) {
                throw new IllegalArgumentException("episode " + episodeKey + "/" + sampleIndex + " has no context");
            }
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException("episode " + episodeKey + "/" + sampleIndex
                        + ": max new tokens must be >= 1");
            }
        }
    }

    /**
     * A finished turn.
     *
     * @param completion the turn's tokens, log-probabilities and text ({@code promptKey} = the episode key)
     * @param cache the episode's cache now: its context plus the turn's tokens except the last (which the next turn
     *     computes with the environment's answer); the caller owns it and closes it when the episode ends
     * @param reusedTokens context tokens whose keys and values came from the request's cache
     * @param computedTokens context tokens computed for this turn
     * @param diverged the context did not start with every cached token (some were computed again)
     */
    public record Turn(Completion completion, CachedContext cache, int reusedTokens, int computedTokens,
                       boolean diverged) {
    }

    /** Totals since this sampler was made. */
    public record Stats(long turns, long reusedTokens, long computedTokens, long divergedTurns) {
    }

    public TurnSampler(CausalLm model, TextTokenizer tokenizer) {
        this(model, tokenizer, tokenizer.eosIds());
    }

    public TurnSampler(CausalLm model, TextTokenizer tokenizer, Set<Integer> eosIds) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.eosIds = Set.copyOf(eosIds);
    }

    public CausalLm model() {
        return model;
    }

    public Stats stats() {
        return new Stats(turns.get(), reusedTokens.get(), computedTokens.get(), divergedTurns.get());
    }

    /**
     * Generates one turn per request. The requests' caches are closed whatever happens; the result holds one turn
     * per request, in order.
     */
    public List<Turn> generate(List<Request> requests, SamplingParams params, long seed, long step) {
        if (requests.isEmpty()) {
            return List.of();
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        Run run = null;
        try (NDManager manager = model.manager().newSubManager()) {
            run = new Run(requests, params, seed, step, manager);
            List<Turn> out = run.run();
            run = null;
            return out;
        } finally {
            JniUtils.setGradMode(gradMode);
            for (Request r : requests) {
                if (r.cache() != null) {
                    r.cache().close();
                }
            }
            if (run != null) {
                run.closeResults();
            }
        }
    }

    /** The state of one generate call; index i is the request, row j a row of the working cache. */
    private final class Run {
        final List<Request> requests;
        final SamplingParams params;
        final long seed;
        final long step;
        final NDManager manager;
        final int maxStopChars;
        final int[] reuse;        // context tokens taken from the request's cache
        final int[] fresh;        // context tokens computed here (>= 1)
        final boolean[] diverged;
        final int prefixWidth;    // C
        final int freshWidth;     // T
        final int[][] tokens;
        final float[][] logprobs;
        final int[] lengths;
        final FinishReason[] finish;
        final String[] stopMatched;
        final CachedContext[] results;
        int[] requestOfRow;
        float[] hostPicks;

        Run(List<Request> requests, SamplingParams params, long seed, long step, NDManager manager) {
            this.requests = requests;
            this.params = params;
            this.seed = seed;
            this.step = step;
            this.manager = manager;
            int n = requests.size();
            reuse = new int[n];
            fresh = new int[n];
            diverged = new boolean[n];
            tokens = new int[n][];
            logprobs = new float[n][];
            lengths = new int[n];
            finish = new FinishReason[n];
            stopMatched = new String[n];
            results = new CachedContext[n];
            int c = 0;
            int t = 0;
            int maxPositions = model.config().maxPositionEmbeddings();
            for (int i = 0; i < n; i++) {
                Request r = requests.get(i);
                if (r.maxNewTokens() > params.maxNewTokens()) {
                    throw new IllegalArgumentException("episode " + r.episodeKey() + "/" + r.sampleIndex()
                            + ": max new tokens " + r.maxNewTokens() + " > the call's " + params.maxNewTokens());
                }
                if (r.context().length + r.maxNewTokens() > maxPositions) {
                    throw new IllegalArgumentException("episode " + r.episodeKey() + "/" + r.sampleIndex()
                            + ": context (" + r.context().length + " tokens) + max new tokens (" + r.maxNewTokens()
                            + ") exceeds the model's max_position_embeddings " + maxPositions);
                }
                if (r.cache() != null) {
                    if (r.cache().closed()) {
                        throw new IllegalArgumentException("episode " + r.episodeKey() + "/" + r.sampleIndex()
                                + ": its cache was closed (a cache serves one turn)");
                    }
                    int shared = r.cache().commonPrefix(r.context());
                    diverged[i] = shared < r.cache().length();
                    reuse[i] = Math.min(shared, r.context().length - 1); // the last token's logits are needed
                }
                fresh[i] = r.context().length - reuse[i];
                c = Math.max(c, reuse[i]);
                t = Math.max(t, fresh[i]);
                tokens[i] = new int[r.maxNewTokens()];
                logprobs[i] = new float[r.maxNewTokens()];
            }
            prefixWidth = c;
            freshWidth = t;
            maxStopChars = params.stop().stream().mapToInt(String::length).max().orElse(0);
        }

        List<Turn> run() {
            int maxNew = requests.stream().mapToInt(Request::maxNewTokens).max().orElseThrow();
            NDArray logits;    // [rows, V] next-token logits
            NDArray positions; // [rows, 1] int64 position of the next token
            try (KvCache cache = new KvCache(manager, model.config(), requests.size(),
                    prefixWidth + freshWidth + maxNew)) {
                try (NDScope ignored = new NDScope()) {
                    if (prefixWidth > 0) {
                        loadPrefixes(cache);
                    }
                    NDList prefilled = computeFresh(cache);
                    logits = prefilled.get(0);
                    positions = prefilled.get(1);
                    NDScope.unregister(logits, positions);
                }
                for (int t = 0; ; t++) {
                    NDArray nextLogits;
                    NDArray nextPositions;
                    try (NDScope ignored = new NDScope()) {
                        NDArray picked = pick(logits, t);                 // [rows] int64
                        if (record(cache) == 0) {
                            logits.close();
                            positions.close();
                            break;
                        }
                        int[] keep = Decoding.rowsToKeep(requestOfRow, finish);
                        if (keep != null) {
                            NDArray index = manager.create(Decoding.toLongs(keep));
                            cache.selectRows(index);
                            picked = picked.get(index);
                            NDArray kept = positions.get(index);
                            NDScope.unregister(kept);
                            positions.close();
                            positions = kept;
                            requestOfRow = Decoding.select(requestOfRow, keep);
                        }
                        NDArray[] next = Decoding.step(model, cache, manager, picked, positions, positionLimit(t));
                        nextLogits = next[0];                                               // [rows, V]
                        nextPositions = next[1];                                            // [rows]
                    }
                    logits.close();
                    positions.close();
                    logits = nextLogits;
                    positions = nextPositions;
                }
            }
            return results();
        }

        /** Copies each request's reused prefix into the first C columns, right-aligned. */
        private void loadPrefixes(KvCache cache) {
            int n = requests.size();
            ModelConfig config = model.config();
            float[] mask = new float[n * prefixWidth];
            for (int i = 0; i < n; i++) {
                Arrays.fill(mask, i * prefixWidth + prefixWidth - reuse[i], (i + 1) * prefixWidth, 1f);
            }
            Shape block = new Shape(n, config.numKvHeads(), prefixWidth, config.headDim());
            cache.appendMask(manager.create(mask, new Shape(n, prefixWidth)));
            for (int layer = 0; layer < config.numLayers(); layer++) {
                NDArray k = manager.zeros(block, DataType.FLOAT32);                 // [n, KV, C, D]
                NDArray v = manager.zeros(block, DataType.FLOAT32);                 // [n, KV, C, D]
                for (int i = 0; i < n; i++) {
                    if (reuse[i] > 0) {
                        NDIndex at = new NDIndex().addSliceDim(i, i + 1).addAllDim()
                                .addSliceDim(prefixWidth - reuse[i], prefixWidth);
                        k.set(at, requests.get(i).cache().keys(layer, reuse[i]));
                        v.set(at, requests.get(i).cache().values(layer, reuse[i]));
                    }
                }
                cache.append(layer, k, v);
            }
            cache.advance(prefixWidth);
        }

        /** Computes every request's new context tokens (right-aligned in T columns); the last token's logits. */
        private NDList computeFresh(KvCache cache) {
            int n = requests.size();
            long[] ids = new long[n * freshWidth];
            float[] mask = new float[n * freshWidth];
            long[] pos = new long[n * freshWidth];
            long[] next = new long[n];
            int limit = 0;
            Arrays.fill(ids, tokenizer.padId());
            for (int i = 0; i < n; i++) {
                int[] context = requests.get(i).context();
                int pad = freshWidth - fresh[i];
                for (int j = 0; j < fresh[i]; j++) {
                    int at = i * freshWidth + pad + j;
                    ids[at] = context[reuse[i] + j];
                    mask[at] = 1f;
                    pos[at] = reuse[i] + j;
                }
                next[i] = context.length;
                limit = Math.max(limit, context.length);
                count(i);
            }
            NDArray maskArray = manager.create(mask, new Shape(n, freshWidth));
            cache.appendMask(maskArray);
            NDArray bias = Masks.causalBias(cache.keyMask(cache.length() + freshWidth), freshWidth);
            NDArray hidden = model.hidden(manager.create(ids, new Shape(n, freshWidth)),
                    manager.create(pos, new Shape(n, freshWidth)), limit, bias, cache); // [n, T, E]
            requestOfRow = new int[n];
            for (int i = 0; i < n; i++) {
                requestOfRow[i] = i;
            }
            return new NDList(model.logits(hidden.get(":, -1, :")),                    // [n, V]
                    manager.create(next, new Shape(n, 1)));
        }

        private void count(int i) {
            turns.incrementAndGet();
            reusedTokens.addAndGet(reuse[i]);
            computedTokens.addAndGet(fresh[i]);
            if (diverged[i]) {
                divergedTurns.incrementAndGet();
            }
        }

        /** One more than the largest position fed at decode step t (positions are per episode). */
        private int positionLimit(int t) {
            int limit = 0;
            for (int i : requestOfRow) {
                limit = Math.max(limit, requests.get(i).context().length + t + 1);
            }
            return limit;
        }

        /** Samples one token per row; returns the ids on the device and leaves a host copy in hostPicks. */
        private NDArray pick(NDArray logits, int t) {
            int rows = requestOfRow.length;
            NDArray uniforms = null;
            if (!params.greedy()) {
                float[] u = new float[rows];
                for (int j = 0; j < rows; j++) {
                    Request r = requests.get(requestOfRow[j]);
                    u[j] = (float) SampleRng.uniform(seed, step, r.episodeKey(), r.sampleIndex(),
                            r.policyTokensBefore() + t);
                }
                uniforms = manager.create(u, new Shape(rows, 1));
            }
            NDList picked = LogitsSampler.sample(logits, uniforms, params);
            hostPicks = Decoding.toHost(picked);
            return picked.get(0);
        }

        /** Appends the step's tokens; a turn that ends has its cache copied out. Returns the rows still live. */
        private int record(KvCache cache) {
            int rows = requestOfRow.length;
            int live = 0;
            for (int j = 0; j < rows; j++) {
                int i = requestOfRow[j];
                if (finish[i] != null) {
                    continue;
                }
                int token = (int) hostPicks[j];
                tokens[i][lengths[i]] = token;
                logprobs[i][lengths[i]] = hostPicks[rows + j];
                lengths[i]++;
                if (eosIds.contains(token)) {
                    finish[i] = FinishReason.STOP;
                } else if (maxStopChars > 0 && matchStop(i)) {
                    finish[i] = FinishReason.STOP;
                } else if (lengths[i] == requests.get(i).maxNewTokens()) {
                    finish[i] = FinishReason.LENGTH;
                } else {
                    live++;
                    continue;
                }
                results[i] = copyOut(cache, j, i);
            }
            return live;
        }

        /** The episode's cache after its turn: context and every turn token but the last (not computed yet). */
        private CachedContext copyOut(KvCache cache, int row, int i) {
            int[] context = requests.get(i).context();
            int fed = lengths[i] - 1;
            int[] cached = Arrays.copyOf(context, context.length + fed);
            System.arraycopy(tokens[i], 0, cached, context.length, fed);
            int c = prefixWidth;
            int t = freshWidth;
            int[][] ranges = {{c - reuse[i], c}, {c + t - fresh[i], c + t}, {c + t, c + t + fed}};
            return CachedContext.copyRow(cache, model.config().numLayers(), row, ranges, cached, model.manager());
        }

        private boolean matchStop(int i) {
            stopMatched[i] = Decoding.stopIn(tokenizer, tokens[i], lengths[i], params.stop(), maxStopChars);
            return stopMatched[i] != null;
        }

        private List<Turn> results() {
            List<Turn> out = new ArrayList<>(requests.size());
            for (int i = 0; i < requests.size(); i++) {
                Request r = requests.get(i);
                int[] toks = Arrays.copyOf(tokens[i], lengths[i]);
                String text = Decoding.cutAtStop(tokenizer.decode(toks, true), stopMatched[i]);
                Completion c = new Completion(r.episodeKey(), r.sampleIndex(), toks,
                        Arrays.copyOf(logprobs[i], lengths[i]), text, finish[i], stopMatched[i]);
                out.add(new Turn(c, results[i], reuse[i], fresh[i], diverged[i]));
            }
            return out;
        }

        /** Frees the caches of a call that failed part-way. */
        void closeResults() {
            for (CachedContext c : results) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }
}
