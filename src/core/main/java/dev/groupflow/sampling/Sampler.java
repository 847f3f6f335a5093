package dev.groupflow.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.KvCache;
import dev.groupflow.model.Masks;
import dev.groupflow.model.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Batched generation with a KV cache.
 *
 * <p>Each distinct prompt is prefilled once (left-padded to the longest prompt of the call), then its cache rows
 * are repeated for its samples, so G completions of one prompt share one prefill. Decoding then produces one
 * token for every live completion per step. Completions that finish (end-of-sequence id, stop string, or the
 * token limit) are dropped from the batch once a quarter of the rows are done, so long stragglers do not drag
 * finished rows along.
 *
 * <p>All tensors stay on the model's device. Per step, exactly one small array crosses to the host: the sampled
 * ids and their log-probabilities ([2, rows] floats), which stopping needs. Every temporary of a step is closed
 * at the end of that step ({@link NDScope}); PyTorch grad mode is switched off on the calling thread for the
 * duration of the call.
 *
 * <p>Ids the model suppresses ({@link CausalLm#suppressTokens}) have no probability, so they are never sampled.
 *
 * <p>Determinism: the uniform number for token t of sample i of a prompt is
 * {@link SampleRng#uniform}(seed, step, promptKey, i, t), independent of which other prompts share the batch.
 *
 * <p>Forced prefixes (G²RPO-A's guided rollouts): a sample may be given tokens that it must start with. They are
 * teacher-forced, one per decoding step like sampled tokens (through the KV cache), never sampled: they cannot end
 * the completion (no end-of-sequence, no stop string), their log-probabilities are NaN (the behaviour policy did
 * not choose them), and t counts from the first token after them, so the continuation is exactly what a plain
 * call on prompt + prefix samples, with {@code max-new-tokens} covering prefix and continuation together.
 */
public final class Sampler {
    private final CausalLm model;
    private final TextTokenizer tokenizer;
    private final Set<Integer> eosIds;

    /**
     * A prompt to complete {@code samples} times; {@code promptKey} is its stable id (it seeds sampling).
     *
     * @param forced null, or one entry per sample: the tokens that sample is forced to start with (null or empty:
     *     none)
     */
    public record Request(long promptKey, int[] promptTokens, int samples, int[][] forced) {
        public Request {
            if (promptTokens.length == 0) {
                throw new IllegalArgumentException("prompt " + promptKey + " has no tokens");
            }
            if (samples < 1) {
                throw new IllegalArgumentException("prompt " + promptKey + ": samples must be >= 1");
            }
            if (forced != null && forced.length != samples) {
                throw new IllegalArgumentException("prompt " + promptKey + ": " + forced.length
                        + " forced prefixes for " + samples + " samples");
            }
        }

        /** A prompt whose samples are all plain. */
        public Request(long promptKey, int[] promptTokens, int samples) {
            this(promptKey, promptTokens, samples, null);
        }

        /** The tokens sample i is forced to start with (empty for a plain sample). */
        public int[] forcedPrefix(int sample) {
            return forced == null || forced[sample] == null ? new int[0] : forced[sample];
        }
    }

    public Sampler(CausalLm model, TextTokenizer tokenizer) {
        this(model, tokenizer, tokenizer.eosIds());
    }

    public Sampler(CausalLm model, TextTokenizer tokenizer, Set<Integer> eosIds) {
        if (model.config().vocabSize() >= (1 << 24)) {
            throw new IllegalArgumentException("vocabularies of 2^24 ids or more are not supported");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.eosIds = Set.copyOf(eosIds);
    }

    public CausalLm model() {
        return model;
    }

    /** Generates completions; the result holds one list per request, in request order, samples in order. */
    public List<List<Completion>> generate(List<Request> requests, SamplingParams params, long seed, long step) {
        return generate(requests, params, seed, step, () -> false);
    }

    /**
     * As {@link #generate(List, SamplingParams, long, long)}, abandoned between two tokens once {@code cancelled}
     * turns true (a run that ends while a long batch is being sampled need not wait for it).
     *
     * @throws CancellationException when cancelled; nothing is returned and everything is freed
     */
    public List<List<Completion>> generate(List<Request> requests, SamplingParams params, long seed, long step,
                                           BooleanSupplier cancelled) {
        if (requests.isEmpty()) {
            return List.of();
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager manager = model.manager().newSubManager()) {
            return new Run(requests, params, seed, step, manager, cancelled).run();
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /** The state of one generate call. */
    private final class Run {
        final List<Request> requests;
        final SamplingParams params;
        final long seed;
        final long step;
        final NDManager manager;
        final BooleanSupplier cancelled;
        final int maxStopChars;
        // per completion (index c over all samples of all requests)
        final int[] requestOf;
        final int[] sampleOf;
        final int[][] tokens;
        final float[][] logprobs;
        final int[] lengths;
        final int[][] forced;   // per completion: its forced prefix (empty for most)
        final FinishReason[] finish;
        final String[] stopMatched;
        // per cache row: which completion it holds
        int[] completionOfRow;

        Run(List<Request> requests, SamplingParams params, long seed, long step, NDManager manager,
            BooleanSupplier cancelled) {
            this.cancelled = cancelled;
            this.requests = requests;
            this.params = params;
            this.seed = seed;
            this.step = step;
            this.manager = manager;
            int n = requests.stream().mapToInt(Request::samples).sum();
            requestOf = new int[n];
            sampleOf = new int[n];
            tokens = new int[n][params.maxNewTokens()];
            logprobs = new float[n][params.maxNewTokens()];
            lengths = new int[n];
            forced = new int[n][];
            finish = new FinishReason[n];
            stopMatched = new String[n];
            int c = 0;
            for (int r = 0; r < requests.size(); r++) {
                for (int i = 0; i < requests.get(r).samples(); i++, c++) {
                    requestOf[c] = r;
                    sampleOf[c] = i;
                    forced[c] = requests.get(r).forcedPrefix(i);
                    if (forced[c].length >= params.maxNewTokens()) {
                        throw new IllegalArgumentException("prompt " + requests.get(r).promptKey() + " sample " + i
                                + ": a forced prefix of " + forced[c].length + " tokens leaves no room in "
                                + params.maxNewTokens() + " new tokens");
                    }
                }
            }
            maxStopChars = params.stop().stream().mapToInt(String::length).max().orElse(0);
        }

        List<List<Completion>> run() {
            int promptWidth = requests.stream().mapToInt(r -> r.promptTokens().length).max().orElseThrow();
            int capacity = promptWidth + params.maxNewTokens();
            int maxPositions = model.config().maxPositionEmbeddings();
            if (capacity > maxPositions) {
                throw new IllegalArgumentException("longest prompt (" + promptWidth + " tokens) + max new tokens ("
                        + params.maxNewTokens() + ") exceeds the model's max_position_embeddings " + maxPositions);
            }
            NDArray logits;    // [rows, V] next-token logits
            NDArray positions; // [rows, 1] int64 position of the next token
            try (KvCache cache = new KvCache(manager, model.config(), requests.size(), capacity)) {
                try (NDScope ignored = new NDScope()) {
                    NDList prefilled = prefill(cache, promptWidth);
                    logits = prefilled.get(0);
                    positions = prefilled.get(1);
                    NDScope.unregister(logits, positions);
                }
                for (int t = 0; t < params.maxNewTokens(); t++) {
                    if (cancelled.getAsBoolean()) {
                        logits.close();
                        positions.close();
                        throw new CancellationException("sampling cancelled after " + t + " tokens");
                    }
                    NDArray nextLogits;
                    NDArray nextPositions;
                    try (NDScope ignored = new NDScope()) {
                        NDArray picked = force(pick(logits, t), t);       // [rows] int64
                        if (record(hostPicks) == 0 || t == params.maxNewTokens() - 1) {
                            logits.close();
                            positions.close();
                            break;
                        }
                        int[] keep = Decoding.rowsToKeep(completionOfRow, finish);
                        if (keep != null) {
                            NDArray index = manager.create(Decoding.toLongs(keep));
                            cache.selectRows(index);
                            picked = picked.get(index);
                            positions = replace(positions, positions.get(index));
                            completionOfRow = Decoding.select(completionOfRow, keep);
                        }
                        // positions go up to the cache's columns (every row's sequence is right-aligned in it)
                        NDArray[] next = Decoding.step(model, cache, manager, picked, positions,
                                cache.length() + 1);
                        nextLogits = next[0];                                                      // [rows, V]
                        nextPositions = next[1];                                                   // [rows]
                    }
                    logits.close();
                    positions.close();
                    logits = nextLogits;
                    positions = nextPositions;
                }
            }
            return results();
        }

        private NDArray replace(NDArray old, NDArray fresh) {
            NDScope.unregister(fresh);
            old.close();
            return fresh;
        }

        /** Prefills the distinct prompts, then repeats each prompt's rows for its samples. */
        private NDList prefill(KvCache cache, int width) {
            int p = requests.size();
            long[] ids = new long[p * width];
            float[] mask = new float[p * width];
            for (int r = 0; r < p; r++) {
                int[] prompt = requests.get(r).promptTokens();
                int pad = width - prompt.length;
                Arrays.fill(ids, r * width, r * width + pad, tokenizer.padId());
                for (int j = 0; j < prompt.length; j++) {
                    ids[r * width + pad + j] = prompt[j];
                    mask[r * width + pad + j] = 1f;
                }
            }
            NDArray idArray = manager.create(ids, new Shape(p, width));
            NDArray maskArray = manager.create(mask, new Shape(p, width));
            cache.appendMask(maskArray);
            NDArray hidden = model.hidden(idArray, Masks.positions(maskArray), Masks.causalBias(maskArray, width),
                    cache);                                                       // [P, width, E]
            NDArray lastLogits = model.logits(hidden.get(":, -1, :"));           // [P, V]
            completionOfRow = new int[requestOf.length];
            long[] rowRequest = new long[requestOf.length];
            long[] nextPosition = new long[requestOf.length];
            for (int c = 0; c < requestOf.length; c++) {
                completionOfRow[c] = c;
                rowRequest[c] = requestOf[c];
                nextPosition[c] = requests.get(requestOf[c]).promptTokens().length;
            }
            NDArray expand = manager.create(rowRequest);
            cache.selectRows(expand);
            return new NDList(lastLogits.get(expand), manager.create(nextPosition, new Shape(nextPosition.length, 1)));
        }

        /** The last step's picks on the host: [ids as floats..., logprobs...]. */
        private float[] hostPicks;

        /** Samples one token per row; returns the ids on the device and leaves a host copy in hostPicks. */
        private NDArray pick(NDArray logits, int t) {
            int rows = completionOfRow.length;
            NDArray uniforms = null;
            if (!params.greedy()) {
                float[] u = new float[rows];
                for (int j = 0; j < rows; j++) {
                    int c = completionOfRow[j];
                    // counted from the first token after a forced prefix: the continuation is a plain run's
                    int position = Math.max(0, t - forced[c].length);
                    u[j] = (float) SampleRng.uniform(seed, step, requests.get(requestOf[c]).promptKey(), sampleOf[c],
                            position);
                }
                uniforms = manager.create(u, new Shape(rows, 1));
            }
            NDList picked = LogitsSampler.sample(logits, uniforms, params);
            hostPicks = Decoding.toHost(picked);
            return picked.get(0);
        }

        /**
         * Replaces the picks of rows still inside their forced prefix (on the host, and on the device when any
         * was replaced) by the prefix's next token, with log-probability NaN: teacher-forced, not sampled.
         */
        private NDArray force(NDArray picked, int t) {
            int rows = completionOfRow.length;
            boolean any = false;
            for (int j = 0; j < rows; j++) {
                int c = completionOfRow[j];
                if (finish[c] == null && t < forced[c].length) {
                    hostPicks[j] = forced[c][t];
                    hostPicks[rows + j] = Float.NaN;
                    any = true;
                }
            }
            if (!any) {
                return picked;
            }
            long[] ids = new long[rows];
            for (int j = 0; j < rows; j++) {
                ids[j] = (long) hostPicks[j];
            }
            return manager.create(ids);
        }

        /** Appends the step's tokens to live completions, applies stopping; returns how many are still live. */
        private int record(float[] host) {
            int rows = completionOfRow.length;
            int live = 0;
            for (int j = 0; j < rows; j++) {
                int c = completionOfRow[j];
                if (finish[c] != null) {
                    continue;
                }
                int token = (int) host[j];
                tokens[c][lengths[c]] = token;
                logprobs[c][lengths[c]] = host[rows + j];
                lengths[c]++;
                if (lengths[c] <= forced[c].length) {
                    live++; // a forced token never ends the completion (the prefix leaves room: see Run)
                } else if (eosIds.contains(token)) {
                    finish[c] = FinishReason.STOP;
                } else if (maxStopChars > 0 && matchStop(c)) {
                    finish[c] = FinishReason.STOP;
                } else if (lengths[c] == params.maxNewTokens()) {
                    finish[c] = FinishReason.LENGTH;
                } else {
                    live++;
                }
            }
            return live;
        }

        /**
         * Checks the tail of a completion's generated text (after any forced prefix) for a stop string.
         */
        private boolean matchStop(int c) {
            stopMatched[c] = Decoding.stopIn(tokenizer, tokens[c], forced[c].length, lengths[c], params.stop(),
                    maxStopChars);
            return stopMatched[c] != null;
        }

        private List<List<Completion>> results() {
            List<List<Completion>> out = new ArrayList<>();
            int c = 0;
            for (Request r : requests) {
                List<Completion> group = new ArrayList<>(r.samples());
                for (int i = 0; i < r.samples(); i++, c++) {
                    int[] toks = Arrays.copyOf(tokens[c], lengths[c]);
                    // a stop string is only looked for in the generated text, after the forced prefix
                    int after = forced[c].length == 0 ? 0 : tokenizer.decode(forced[c], true).length();
                    String text = Decoding.cutAtStop(tokenizer.decode(toks, true), stopMatched[c], after);
                    FinishReason reason = finish[c] == null ? FinishReason.LENGTH : finish[c];
                    group.add(new Completion(r.promptKey(), i, toks, Arrays.copyOf(logprobs[c], lengths[c]), text,
                            reason, stopMatched[c], forced[c].length));
                }
                out.add(group);
            }
            return out;
        }
    }
}
