package dev.groupflow.verify;

import ai.djl.ndarray.NDManager;
import dev.groupflow.config.SectionReader;
import dev.groupflow.model.Devices;
import dev.groupflow.model.ModelException;
import dev.groupflow.model.RewardModel;
import dev.groupflow.model.tokenizer.HfTokenizer;
import dev.groupflow.model.tokenizer.TextTokenizer;
import dev.groupflow.model.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores with a learned reward model ({@link RewardModel}: a Hugging Face sequence-classification checkpoint): the
 * reward is the model's raw score of prompt + completion, rendered with the reward model's own chat template when
 * it has one (the conversation, or the prompt as one user message, then the completion as the assistant's), else
 * the prompt text followed by the completion, and tokenized by the reward model's own tokenizer.
 *
 * <p>Concurrent requests are batched: the verifier's own thread takes the first waiting request, collects more
 * for up to {@code batch-wait} or until {@code batch-size} have come, and scores them together in padded batches
 * of at most {@code max-batch-tokens} padded tokens (one batch when they fit). Everything (rendering, tokenizing,
 * the forward pass without gradients) runs on that thread, never on the caller's: not on the sampler's, not on the
 * learner's, not on the stream's. {@link #score} only queues the request.
 *
 * <p>A request the model cannot take (longer than {@code max-tokens}, a template that fails) is a permanent
 * failure of that request only; a failing forward pass fails the requests of its batch (retryable).
 */
public final class RewardModelVerifier implements Verifier {
    /** The name in {@code verifier.name} and of its section. */
    public static final String NAME = "reward-model";
    private static final Logger LOG = LoggerFactory.getLogger(RewardModelVerifier.class);

    private final Settings settings;
    private final NDManager manager;
    private final RewardModel model;
    private final TextTokenizer tokenizer;
    private final boolean chat;
    private final int maxTokens;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong scored = new AtomicLong();
    private final AtomicLong largestBatch = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param path the reward model's directory (config.json, weights, tokenizer)
     * @param device auto | cpu | gpu:N
     * @param batchSize most requests collected into one round of scoring
     * @param batchWait how long the first request of a round waits for more
     * @param maxBatchTokens most padded tokens (rows × longest) in one forward pass
     * @param maxTokens longest prompt + completion scored; longer requests fail (never truncated); 0 = the model's
     *     {@code max_position_embeddings}
     * @param chatTemplate auto (when the tokenizer has one) | on | off
     */
    public record Settings(Path path, String device, int batchSize, Duration batchWait, int maxBatchTokens,
                           int maxTokens, String chatTemplate) {

        /** Reads and checks the section (problems go to the reader); the model is not loaded. */
        public static Settings read(SectionReader r) {
            String path = r.nullableString("path");
            if (path == null) {
                r.problem("path", "required: the reward model's directory (config.json, *.safetensors, tokenizer)");
            }
            String device = r.string("device");
            if (!Devices.valid(device)) {
                r.problem("device", "'" + device + "' is not one of auto, cpu, gpu:N");
            }
            Duration wait = r.duration("batch-wait");
            if (wait.isNegative()) {
                r.problem("batch-wait", "must be >= 0, got " + wait);
            }
            Settings s = new Settings(path == null ? null : Path.of(path), device, r.atLeast("batch-size", 1), wait,
                    r.atLeast("max-batch-tokens", 1), r.atLeast("max-tokens", 0),
                    r.choice("chat-template", Set.of("auto", "on", "off")));
            if (s.path() != null) {
                s.checkDirectory(r);
            }
            return s;
        }

        /** The directory's config (without loading weights) and tokenizer, as configuration problems. */
        private void checkDirectory(SectionReader r) {
            try {
                RewardModel.Header h = RewardModel.header(path);
                if (maxTokens > h.decoder().maxPositionEmbeddings()) { // 0: the model's own limit
                    r.problem("max-tokens", maxTokens + " is more than the reward model's max_position_embeddings "
                            + h.decoder().maxPositionEmbeddings());
                }
            } catch (ModelException e) {
                r.problem("path", e.getMessage());
            }
            if (Files.isDirectory(path) && !HfTokenizer.present(path)
                    && !Files.isRegularFile(path.resolve(Tokenizers.GROUPFLOW_FILE))) {
                r.problem("path", path + " has no tokenizer (tokenizer.json, tokenizer.json.gz or "
                        + Tokenizers.GROUPFLOW_FILE + ")");
            }
        }
    }

    /** How much batching happened: rounds of scoring, requests scored, the largest round. */
    public record Stats(long batches, long scored, long largestBatch) {
    }

    private record Pending(VerifyRequest request, CompletableFuture<Reward> result) {
    }

    /** Loads the model and tokenizer and starts the verifier's thread. */
    public RewardModelVerifier(Settings settings) {
        this.settings = settings;
        this.manager = NDManager.newBaseManager(Devices.resolve(settings.device()));
        RewardModel loaded = null;
        TextTokenizer tok = null;
        try {
            loaded = RewardModel.load(settings.path(), manager);
            tok = Tokenizers.load(settings.path(), new HashSet<>(loaded.config().eosTokenIds()));
            boolean has = tok.chatTemplate() != null;
            if (settings.chatTemplate().equals("on") && !has) {
                throw new ModelException(settings.path(), "chat-template = on but the reward model's tokenizer has "
                        + "no chat template");
            }
            this.chat = settings.chatTemplate().equals("on") || (settings.chatTemplate().equals("auto") && has);
        } catch (RuntimeException e) {
            if (tok != null) {
                tok.close();
            }
            if (loaded != null) {
                loaded.close();
            }
            manager.close();
            throw e;
        }
        this.model = loaded;
        this.tokenizer = tok;
        this.maxTokens = settings.maxTokens() > 0 ? settings.maxTokens() : loaded.config().maxPositionEmbeddings();
        this.worker = new Thread(this::run, "groupflow-reward-model");
        worker.setDaemon(true);
        worker.start();
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        CompletableFuture<Reward> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(VerifierFailure.permanent("the reward model is closed"));
            return result;
        }
        queue.add(new Pending(request, result));
        return result;
    }

    /** What was batched so far. */
    public Stats stats() {
        return new Stats(batches.get(), scored.get(), largestBatch.get());
    }

    /** Whether prompts are rendered with the reward model's chat template. */
    public boolean chat() {
        return chat;
    }

    /** The text the reward model scores for a request. */
    String render(VerifyRequest r) {
        if (!chat) {
            return r.prompt() + r.completion();
        }
        List<Map<String, Object>> messages = new ArrayList<>();
        if (r.messages() != null) {
            r.messages().forEach(m -> messages.add(Map.copyOf(m)));
        } else {
            messages.add(Map.of("role", "user", "content", r.prompt()));
        }
        messages.add(Map.of("role", "assistant", "content", r.completion()));
        return tokenizer.applyChatTemplate(messages, false, Map.of());
    }

    private void run() {
        while (!closed) {
            List<Pending> round = new ArrayList<>();
            try {
                collect(round);
            } catch (InterruptedException e) {
                round.forEach(p -> p.result().completeExceptionally(VerifierFailure.permanent(
                        "the reward model was closed")));
                break;
            }
            try {
                scoreRound(round);
            } catch (RuntimeException | Error e) {
                LOG.error("reward model: a round of {} requests failed", round.size(), e);
                round.forEach(p -> p.result().completeExceptionally(e));
            }
        }
    }

    /** Adds the first waiting request and those that come within batch-wait, up to batch-size. */
    private void collect(List<Pending> round) throws InterruptedException {
        round.add(queue.take());
        long deadline = System.nanoTime() + settings.batchWait().toNanos();
        while (round.size() < settings.batchSize()) {
            long left = deadline - System.nanoTime();
            Pending next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
            if (next == null) {
                break;
            }
            round.add(next);
        }
    }

    /** Tokenizes the round, then scores it in padded batches within the token budget, shortest first. */
    private void scoreRound(List<Pending> round) {
        Map<Pending, int[]> tokens = new LinkedHashMap<>();
        for (Pending p : round) {
            try {
                int[] ids = tokenizer.encode(render(p.request()));
                if (ids.length == 0 || ids.length > maxTokens) {
                    p.result().completeExceptionally(VerifierFailure.permanent("prompt + completion is " + ids.length
                            + " tokens for the reward model, which scores 1 to " + maxTokens
                            + " (verifier.reward-model.max-tokens)"));
                    continue;
                }
                tokens.put(p, ids);
            } catch (RuntimeException e) {
                p.result().completeExceptionally(VerifierFailure.permanent("cannot render or tokenize for the "
                        + "reward model: " + e.getMessage()));
            }
        }
        batches.incrementAndGet();
        largestBatch.accumulateAndGet(tokens.size(), Math::max);
        List<Pending> order = new ArrayList<>(tokens.keySet());
        order.sort(Comparator.comparingInt(p -> tokens.get(p).length));
        int from = 0;
        while (from < order.size()) {
            int to = from + 1; // rows × longest within the budget (a single row always goes)
            while (to < order.size() && (long) (to - from + 1) * tokens.get(order.get(to)).length
                    <= settings.maxBatchTokens()) {
                to++;
            }
            List<Pending> batch = order.subList(from, to);
            List<int[]> seqs = batch.stream().map(tokens::get).toList();
            float[] scores;
            try {
                scores = model.score(seqs, RewardModel.Padding.LEFT);
            } catch (RuntimeException e) {
                VerifierFailure f = new VerifierFailure("the reward model's forward pass failed: " + e, true, e);
                batch.forEach(p -> p.result().completeExceptionally(f));
                from = to;
                continue;
            }
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(new Reward(scores[i], Map.of(), "reward model score of "
                        + seqs.get(i).length + " tokens"));
            }
            scored.addAndGet(batch.size());
            from = to;
        }
    }

    /** Stops the thread (after the round it is scoring), fails what is still queued, frees the model. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        worker.interrupt();
        try {
            worker.join(TimeUnit.MINUTES.toMillis(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Pending p; (p = queue.poll()) != null; ) {
            p.result().completeExceptionally(VerifierFailure.permanent("the reward model was closed"));
        }
        if (!worker.isAlive()) { // else it is stuck in a forward pass: leave it its model
            model.close();
            tokenizer.close();
            manager.close();
        }
    }
}
