package dev.groupflow.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.safetensors.SafetensorsCheckpoint;
import dev.groupflow.safetensors.SafetensorsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Hugging Face sequence-classification reward model ({@code Qwen2ForSequenceClassification},
 * {@code Qwen3ForSequenceClassification}, {@code LlamaForSequenceClassification} with {@code num_labels} 1): the
 * decoder of the same family without its LM head, and a linear head {@code score.weight} [1, E] without bias. The
 * score of a sequence is {@code score.weight · h}, h the final-norm hidden state at its last real token
 * (transformers' {@code GenericForSequenceClassification}; the last position whose attention mask is 1, as OpenRLHF
 * and verl pool, so a trailing token equal to the pad id still counts). No sigmoid: the raw score is the reward.
 *
 * <p>Loading reuses the policy's: config.json read by {@link ModelConfig} (the head's fields checked here), weights
 * F32 / F16 / BF16, one file or shards, through {@link HfCheckpoints#load(Path, ModelConfig, NDManager, Set)}. A
 * wrong architecture, {@code num_labels} other than 1, or a missing or misshapen {@code score.weight} is a
 * {@link ModelException} naming the file, with every problem of the config at once.
 *
 * <p>Scoring ({@link #score}) runs a padded batch with gradients off on the calling thread; each call's tensors
 * live in a sub-manager and a scope closed at its end. A model is used by one thread at a time.
 */
public final class RewardModel implements AutoCloseable {
    /** The sequence-classification class of each model family. */
    public static final Map<String, String> ARCHITECTURES = Map.of("llama", "LlamaForSequenceClassification",
            "qwen2", "Qwen2ForSequenceClassification", "qwen3", "Qwen3ForSequenceClassification");
    /** The head's tensor. */
    public static final String SCORE = "score.weight";
    /** A head bias, which sequence-classification models do not have (refused with its own message). */
    private static final String SCORE_BIAS = "score.bias";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final NDManager manager;
    private final CausalLm decoder;
    private final NDArray score;     // [E, 1]
    private final int padId;

    /** Where a batch's padding goes; the score is the same either way. */
    public enum Padding { LEFT, RIGHT }

    private RewardModel(NDManager manager, CausalLm decoder, NDArray score, int padId) {
        this.manager = manager;
        this.decoder = decoder;
        this.score = score;
        this.padId = padId;
    }

    /**
     * What config.json says about the model: the decoder's architecture (tied embeddings: there is no LM head) and
     * the pad id ({@code pad_token_id}; 0 without one, only ever written under the attention mask).
     */
    public record Header(ModelConfig decoder, int padId) {
    }

    /** Reads and checks a reward model's config.json; every problem at once in one {@link ModelException}. */
    public static Header header(Path dir) {
        Path file = HfCheckpoints.configFile(dir);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ModelException(file, "cannot read config: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelException(file, "config is not a JSON object");
        }
        List<String> problems = new ArrayList<>();
        String type = root.path("model_type").asText("");
        JsonNode arch = root.get("architectures");
        String supported = String.join(", ", new TreeSet<>(ARCHITECTURES.values()));
        if (arch == null || !arch.isArray() || arch.isEmpty()) {
            problems.add("architectures: missing; a reward model is one of " + supported);
        } else {
            for (JsonNode a : arch) {
                String name = a.asText();
                if (!ARCHITECTURES.containsValue(name)) {
                    problems.add("architectures: '" + name + "' is not a sequence-classification reward model "
                            + "groupflow supports (" + supported + ")"
                            + (ModelConfig.ARCHITECTURES.containsValue(name) ? "; it is a causal LM, a policy" : ""));
                } else if (ARCHITECTURES.containsKey(type) && !ARCHITECTURES.get(type).equals(name)) {
                    problems.add("architectures: '" + name + "' does not match model_type '" + type + "'");
                }
            }
        }
        int labels = numLabels(root);
        if (labels != 1) {
            problems.add("num_labels: " + (labels < 0 ? "missing (transformers then uses 2)" : labels)
                    + "; a reward model has exactly one label (one score)");
        }
        JsonNode pad = root.get("pad_token_id");
        if (pad != null && !pad.isNull() && !pad.isIntegralNumber()) {
            problems.add("pad_token_id: expected an integer, got " + pad);
        }
        ObjectNode decoder = root.deepCopy();
        decoder.remove("architectures"); // checked above; the decoder is a causal LM without its head
        decoder.put("tie_word_embeddings", true);
        ModelConfig config = null;
        try {
            config = ModelConfig.parse(decoder, file);
        } catch (ModelException e) {
            problems.addAll(e.problems());
        }
        if (!problems.isEmpty()) {
            throw new ModelException(file, problems, null);
        }
        return new Header(config, pad != null && pad.isIntegralNumber() ? pad.asInt() : 0);
    }

    /** {@code num_labels}, else the size of {@code id2label} (as transformers derives it), else -1. */
    private static int numLabels(JsonNode root) {
        if (root.hasNonNull("num_labels")) {
            return root.get("num_labels").isIntegralNumber() ? root.get("num_labels").asInt() : -2;
        }
        JsonNode labels = root.get("id2label");
        return labels != null && labels.isObject() ? labels.size() : -1;
    }

    /** Loads a reward model directory onto the device of {@code parent} (a sub-manager of it holds the weights). */
    public static RewardModel load(Path dir, NDManager parent) {
        Header header = header(dir);
        NDManager manager = parent.newSubManager();
        CausalLm decoder = null;
        try {
            decoder = HfCheckpoints.load(dir, header.decoder(), manager, Set.of(SCORE, SCORE_BIAS));
            decoder.setRequiresGradient(false);
            NDArray head = manager.create(scoreWeight(dir, header.decoder().hiddenSize()),
                    new Shape(header.decoder().hiddenSize(), 1));
            return new RewardModel(manager, decoder, head, header.padId());
        } catch (RuntimeException e) {
            if (decoder != null) {
                decoder.close();
            }
            manager.close();
            throw e;
        }
    }

    /**
     * A reward model with random weights (the decoder as {@link CausalLm#random}, the head ~ N(0, 0.02²)), for
     * benchmarks: deterministic for a seed.
     */
    public static RewardModel random(ModelConfig config, NDManager parent, long seed) {
        NDManager manager = parent.newSubManager();
        CausalLm decoder = CausalLm.random(config, manager, seed);
        decoder.setRequiresGradient(false);
        Random rng = new Random(seed + 1);
        float[] head = new float[config.hiddenSize()];
        for (int i = 0; i < head.length; i++) {
            head[i] = (float) (rng.nextGaussian() * 0.02);
        }
        return new RewardModel(manager, decoder, manager.create(head, new Shape(head.length, 1)), 0);
    }

    /** The head's floats; missing, misshapen or with a bias is an error naming the checkpoint. */
    private static float[] scoreWeight(Path dir, int hidden) {
        try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(dir)) {
            Path where = weights.indexFile().orElse(weights.files().get(0));
            if (!weights.contains(SCORE)) {
                throw new ModelException(where, "tensor '" + SCORE + "' is missing: a sequence-classification "
                        + "reward model needs its score head [1, " + hidden + "]");
            }
            long[] shape = weights.shape(SCORE);
            if (!Arrays.equals(shape, new long[] {1, hidden})) {
                throw new ModelException(weights.info(SCORE).file(), "tensor '" + SCORE + "' has shape "
                        + Arrays.toString(shape) + " but a reward model's head is [1, " + hidden + "]");
            }
            if (weights.contains(SCORE_BIAS)) {
                throw new ModelException(weights.info(SCORE_BIAS).file(), "tensor '" + SCORE_BIAS + "': the score head "
                        + "of a sequence-classification model has no bias");
            }
            return weights.readFloats(SCORE);
        } catch (SafetensorsException e) {
            throw new ModelException(e.file(), e.getMessage(), e);
        }
    }

    /** The decoder's architecture. */
    public ModelConfig config() {
        return decoder.config();
    }

    /**
     * Scores token sequences in one padded batch.
     *
     * @param sequences each at least one token, each within the model's {@code max_position_embeddings}
     * @param padding where the padding goes
     * @return one score per sequence, in order
     */
    public float[] score(List<int[]> sequences, Padding padding) {
        if (sequences.isEmpty()) {
            return new float[0];
        }
        int width = 0;
        for (int i = 0; i < sequences.size(); i++) {
            int n = sequences.get(i).length;
            if (n == 0) {
                throw new IllegalArgumentException("sequence " + i + " has no tokens: nothing to score");
            }
            if (n > config().maxPositionEmbeddings()) {
                throw new IllegalArgumentException("sequence " + i + " has " + n + " tokens, more than the reward "
                        + "model's max_position_embeddings " + config().maxPositionEmbeddings());
            }
            width = Math.max(width, n);
        }
        int b = sequences.size();
        long[] ids = new long[b * width];
        float[] mask = new float[b * width];
        long[] last = new long[b]; // flat index of each row's last real token
        Arrays.fill(ids, padId);
        for (int r = 0; r < b; r++) {
            int[] seq = sequences.get(r);
            int from = padding == Padding.LEFT ? width - seq.length : 0;
            for (int j = 0; j < seq.length; j++) {
                ids[r * width + from + j] = seq[j];
                mask[r * width + from + j] = 1f;
            }
            last[r] = (long) r * width + from + seq.length - 1;
        }
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager m = manager.newSubManager(); NDScope ignored = new NDScope()) {
            NDArray idArray = m.create(ids, new Shape(b, width));
            NDArray maskArray = m.create(mask, new Shape(b, width));
            NDArray hidden = decoder.hidden(idArray, Masks.positions(maskArray), Masks.causalBias(maskArray, width),
                    null);                                                                // [B, T, E]
            NDArray atLast = hidden.reshape(b * (long) width, -1).get(m.create(last));   // [B, E]
            return atLast.matMul(score).reshape(b).toFloatArray();                        // [B]
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    @Override
    public void close() {
        decoder.close();
        manager.close();
    }
}
