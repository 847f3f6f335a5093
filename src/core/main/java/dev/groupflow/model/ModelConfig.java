package dev.groupflow.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The architecture of a Hugging Face decoder-only LM ({@code config.json}) of the Llama, Qwen2 or Qwen3
 * family, as groupflow needs it. The three differ only in details this record names explicitly:
 * Qwen3 normalises q and k per head ({@link #qkNorm}) and usually sets {@code head_dim}; Qwen2 has biases on
 * the q, k, v projections; Llama may have {@code attention_bias} (q, k, v, o) and {@code mlp_bias}.
 *
 * @param modelType {@code llama}, {@code qwen2} or {@code qwen3}
 * @param vocabSize V, rows of the embedding and of the LM head
 * @param hiddenSize E, the residual stream width
 * @param intermediateSize I, the SwiGLU width
 * @param numLayers number of decoder layers
 * @param numHeads H, query heads
 * @param numKvHeads KV, key/value heads (H % KV == 0; KV < H is grouped-query attention)
 * @param headDim D, per-head width (explicit {@code head_dim}, else E / H)
 * @param rmsNormEps epsilon of every RMSNorm
 * @param ropeTheta RoPE base
 * @param ropeScaling RoPE frequency scaling, or null for none
 * @param tieWordEmbeddings whether the LM head reuses the embedding matrix
 * @param qkvBias biases on the q, k, v projections
 * @param oBias bias on the output projection
 * @param mlpBias biases on gate, up and down projections
 * @param qkNorm RMSNorm over the head dimension of q and k (Qwen3)
 * @param maxPositionEmbeddings the longest sequence the RoPE table covers
 * @param bosTokenId beginning-of-sequence id, or null
 * @param eosTokenIds end-of-sequence ids (possibly several)
 * @param torchDtype the dtype the checkpoint declares (weights are always computed in F32 here)
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean qkvBias,
        boolean oBias,
        boolean mlpBias,
        boolean qkNorm,
        int maxPositionEmbeddings,
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        String torchDtype) {

    /** The model families groupflow implements, with the Hugging Face architecture class of each. */
    public static final Map<String, String> ARCHITECTURES =
            Map.of("llama", "LlamaForCausalLM", "qwen2", "Qwen2ForCausalLM", "qwen3", "Qwen3ForCausalLM");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ACTIVATIONS = Set.of("silu", "swish");

    /**
     * RoPE frequency scaling. {@code linear} divides every frequency by {@code factor}; {@code llama3} is
     * Llama 3.1's band-wise scaling (low frequencies divided by factor, high ones kept, a smooth ramp between).
     */
    public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                              int originalMaxPositionEmbeddings) {
        public static final Set<String> SUPPORTED = Set.of("default", "linear", "llama3");
    }

    public ModelConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /**
     * The sizes of a decoder.
     *
     * @param vocabSize V
     * @param hiddenSize E
     * @param intermediateSize I
     * @param numLayers decoder layers
     * @param numHeads H
     * @param numKvHeads KV
     */
    public record Size(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
                       int numKvHeads) {
    }

    /**
     * An architecture of family {@code modelType} and the given size, its details named in {@code details}: by
     * default head width E / H, RMSNorm epsilon 1e-6, RoPE base 10000 without scaling, untied embeddings, no biases,
     * no q/k norm, 4096 positions, no bos, no eos, float32.
     */
    public static ModelConfig of(String modelType, Size size, Consumer<Details> details) {
        Details d = new Details(size);
        details.accept(d);
        return new ModelConfig(modelType, size.vocabSize(), size.hiddenSize(), size.intermediateSize(),
                size.numLayers(), size.numHeads(), size.numKvHeads(), d.headDim, d.rmsNormEps, d.ropeTheta,
                d.ropeScaling, d.tieWordEmbeddings, d.qkvBias, d.oBias, d.mlpBias, d.qkNorm, d.maxPositionEmbeddings,
                d.bosTokenId, d.eosTokenIds, d.torchDtype);
    }

    /** What {@link #of} sets by name (see the record's components). */
    public static final class Details {
        public int headDim;
        public double rmsNormEps = 1e-6;
        public double ropeTheta = 10000.0;
        public RopeScaling ropeScaling;
        public boolean tieWordEmbeddings;
        public boolean qkvBias;
        public boolean oBias;
        public boolean mlpBias;
        public boolean qkNorm;
        public int maxPositionEmbeddings = 4096;
        public Integer bosTokenId;
        public List<Integer> eosTokenIds = List.of();
        public String torchDtype = "float32";

        private Details(Size size) {
            headDim = size.hiddenSize() / size.numHeads();
        }
    }

    /** The same architecture declaring another stored dtype (groupflow saves F32). */
    public ModelConfig withTorchDtype(String dtype) {
        return new ModelConfig(modelType, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads,
                headDim, rmsNormEps, ropeTheta, ropeScaling, tieWordEmbeddings, qkvBias, oBias, mlpBias, qkNorm,
                maxPositionEmbeddings, bosTokenId, eosTokenIds, dtype);
    }

    /** Number of query heads sharing one key/value head. */
    public int queryHeadsPerKvHead() {
        return numHeads / numKvHeads;
    }

    /** Reads and checks {@code config.json}; every problem is reported in one {@link ModelException}. */
    public static ModelConfig load(Path configJson) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(configJson));
        } catch (IOException e) {
            throw new ModelException(configJson, "cannot read config: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelException(configJson, "config is not a JSON object");
        }
        return parse(root, configJson);
    }

    /** Parses a config.json tree; {@code source} only names the file in errors (may be null). */
    public static ModelConfig parse(JsonNode root, Path source) {
        Fields f = new Fields(root);
        String type = f.text("model_type", null);
        if (type == null) {
            f.problem("model_type: missing (supported: llama, qwen2, qwen3)");
            type = "?";
        } else if (!ARCHITECTURES.containsKey(type)) {
            f.problem("model_type: '" + type + "' is not supported (supported: llama, qwen2, qwen3)");
        }
        JsonNode arch = root.get("architectures");
        if (arch != null && arch.isArray()) {
            for (JsonNode a : arch) {
                if (!ARCHITECTURES.containsValue(a.asText())) {
                    f.problem("architectures: '" + a.asText() + "' is not supported (supported: "
                            + String.join(", ", ARCHITECTURES.values().stream().sorted().toList()) + ")");
                }
            }
        }
        String act = f.text("hidden_act", "silu");
        if (!ACTIVATIONS.contains(act)) {
            f.problem("hidden_act: '" + act + "' is not supported (only silu)");
        }
        int vocab = f.positiveInt("vocab_size");
        int hidden = f.positiveInt("hidden_size");
        int inter = f.positiveInt("intermediate_size");
        int layers = f.positiveInt("num_hidden_layers");
        int heads = f.positiveInt("num_attention_heads");
        int kvHeads = root.has("num_key_value_heads") && !root.get("num_key_value_heads").isNull()
                ? f.positiveInt("num_key_value_heads") : heads;
        if (heads > 0 && kvHeads > 0 && heads % kvHeads != 0) {
            f.problem("num_key_value_heads: " + kvHeads + " does not divide num_attention_heads " + heads);
        }
        int headDim;
        if (root.hasNonNull("head_dim")) {
            headDim = f.positiveInt("head_dim");
        } else if (heads > 0 && hidden % heads != 0) {
            f.problem("hidden_size " + hidden + " is not divisible by num_attention_heads " + heads
                    + " and no head_dim is given");
            headDim = 0;
        } else {
            headDim = heads > 0 ? hidden / heads : 0;
        }
        if (headDim > 0 && headDim % 2 != 0) {
            f.problem("head_dim: " + headDim + " must be even for rotary embeddings");
        }
        double eps = f.positiveDouble("rms_norm_eps", 1e-6);
        JsonNode ropeParams = root.get("rope_parameters"); // transformers v5 layout
        double theta = ropeParams != null && ropeParams.hasNonNull("rope_theta")
                ? ropeParams.get("rope_theta").asDouble() : f.positiveDouble("rope_theta", 10000.0);
        RopeScaling scaling = parseRopeScaling(
                ropeParams != null ? ropeParams : root.get("rope_scaling"), f);
        boolean tie = f.bool("tie_word_embeddings", false);
        boolean attentionBias = f.bool("attention_bias", false);
        boolean qkvBias = type.equals("qwen2") || attentionBias;
        boolean oBias = !type.equals("qwen2") && attentionBias;
        boolean mlpBias = type.equals("llama") && f.bool("mlp_bias", false);
        boolean qkNorm = type.equals("qwen3");
        int maxPos = root.hasNonNull("max_position_embeddings")
                ? f.positiveInt("max_position_embeddings") : (type.equals("llama") ? 2048 : 32768);
        if (f.bool("use_sliding_window", false)) {
            int window = root.path("sliding_window").asInt(0);
            if (window < maxPos) {
                f.problem("use_sliding_window: sliding-window attention (window " + window
                        + " < max_position_embeddings " + maxPos + ") is not supported");
            }
        }
        Integer bos = root.hasNonNull("bos_token_id") ? root.get("bos_token_id").asInt() : null;
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = root.get("eos_token_id");
        if (eosNode != null && eosNode.isArray()) {
            eosNode.forEach(n -> eos.add(n.asInt()));
        } else if (eosNode != null && eosNode.isIntegralNumber()) {
            eos.add(eosNode.asInt());
        } else if (eosNode != null && !eosNode.isNull()) {
            f.problem("eos_token_id: expected an integer or a list of integers, got " + eosNode);
        }
        String dtype = f.text("torch_dtype", f.text("dtype", "float32"));
        if (!f.problems.isEmpty()) {
            throw new ModelException(source, f.problems, null);
        }
        return new ModelConfig(type, vocab, hidden, inter, layers, heads, kvHeads, headDim, eps, theta, scaling,
                tie, qkvBias, oBias, mlpBias, qkNorm, maxPos, bos, eos, dtype);
    }

    private static RopeScaling parseRopeScaling(JsonNode node, Fields f) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            f.problem("rope_scaling: expected an object or null, got " + node);
            return null;
        }
        String type = node.hasNonNull("rope_type") ? node.get("rope_type").asText()
                : node.path("type").asText("default");
        if (!RopeScaling.SUPPORTED.contains(type)) {
            f.problem("rope_scaling: type '" + type + "' is not supported (supported: default, linear, llama3)");
            return null;
        }
        if (type.equals("default")) {
            return null;
        }
        double factor = node.path("factor").asDouble(Double.NaN);
        if (!(factor > 0)) {
            f.problem("rope_scaling.factor: must be a positive number for type '" + type + "'");
        }
        if (type.equals("linear")) {
            return new RopeScaling(type, factor, 0, 0, 0);
        }
        double low = node.path("low_freq_factor").asDouble(Double.NaN);
        double high = node.path("high_freq_factor").asDouble(Double.NaN);
        int orig = node.path("original_max_position_embeddings").asInt(0);
        if (!(low > 0) || !(high > low) || orig <= 0) {
            f.problem("rope_scaling: llama3 needs low_freq_factor > 0, high_freq_factor > low_freq_factor and "
                    + "original_max_position_embeddings > 0");
        }
        return new RopeScaling(type, factor, low, high, orig);
    }

    /** A config.json in the Hugging Face layout for this architecture (what {@code save} writes). */
    public ObjectNode toHfJson() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(ARCHITECTURES.get(modelType));
        n.put("model_type", modelType);
        n.put("vocab_size", vocabSize);
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numLayers);
        n.put("num_attention_heads", numHeads);
        n.put("num_key_value_heads", numKvHeads);
        n.put("head_dim", headDim);
        n.put("rms_norm_eps", rmsNormEps);
        n.put("rope_theta", ropeTheta);
        if (ropeScaling != null) {
            ObjectNode r = n.putObject("rope_scaling");
            r.put("rope_type", ropeScaling.type());
            r.put("factor", ropeScaling.factor());
            if (ropeScaling.type().equals("llama3")) {
                r.put("low_freq_factor", ropeScaling.lowFreqFactor());
                r.put("high_freq_factor", ropeScaling.highFreqFactor());
                r.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            }
        } else {
            n.putNull("rope_scaling");
        }
        n.put("tie_word_embeddings", tieWordEmbeddings);
        if (!modelType.equals("qwen2")) {
            n.put("attention_bias", oBias);
        }
        if (modelType.equals("llama")) {
            n.put("mlp_bias", mlpBias);
        }
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("hidden_act", "silu");
        if (bosTokenId != null) {
            n.put("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            n.put("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            ArrayNode a = n.putArray("eos_token_id");
            eosTokenIds.forEach(a::add);
        }
        n.put("torch_dtype", "float32");
        return n;
    }

    /** Collects field problems so that all of them are reported at once. */
    private static final class Fields {
        final JsonNode root;
        final List<String> problems = new ArrayList<>();

        Fields(JsonNode root) {
            this.root = root;
        }

        void problem(String p) {
            problems.add(p);
        }

        int positiveInt(String key) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                problem(key + ": missing");
                return 0;
            }
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
                problem(key + ": expected a positive integer, got " + n);
                return 0;
            }
            return n.asInt();
        }

        double positiveDouble(String key, double dflt) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (!n.isNumber() || !(n.asDouble() > 0)) {
                problem(key + ": expected a positive number, got " + n);
                return dflt;
            }
            return n.asDouble();
        }

        boolean bool(String key, boolean dflt) {
            JsonNode n = root.get(key);
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (!n.isBoolean()) {
                problem(key + ": expected true or false, got " + n);
                return dflt;
            }
            return n.asBoolean();
        }

        String text(String key, String dflt) {
            JsonNode n = root.get(key);
            return n == null || n.isNull() ? dflt : n.asText().toLowerCase(Locale.ROOT);
        }
    }
}
